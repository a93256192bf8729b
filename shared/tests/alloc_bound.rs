//! Decoding hostile frames allocates little: a frame that claims a 4 GiB string or a 2^32-element array must be
//! refused without the allocation. The whole test binary runs under an allocator with a hard limit, so an
//! over-allocation aborts the test instead of passing silently. (One test in this binary: the limit is global.)

use cap::Cap;
use std::alloc::System;
use tickwire_shared::{decode_client, decode_server};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn hostile_length_claims_do_not_allocate() {
    let cases: Vec<Vec<u8>> = vec![
        vec![0xdd, 0xff, 0xff, 0xff, 0xff], // array of 2^32 - 1
        vec![0x93, 0x00, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff], // hello whose name claims 4 GiB
        vec![0x93, 0x00, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff], // bin of 4 GiB
        vec![0x94, 0x01, 0x01, 0x00, 0xdd, 0x7f, 0xff, 0xff, 0xff], // snapshot with 2^31 entities
        vec![0x99, 0x02, 0x01, 0x00, 0x00, 0xdd, 0x7f, 0xff, 0xff, 0xff], // delta with 2^31 spawns
        // delta whose moves claim 2^32 - 4 values (a multiple of 3), then three
        vec![
            0x99, 0x02, 0x01, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90, 0xdd, 0xff, 0xff, 0xff, 0xfc,
            0x01, 0x01, 0x01,
        ],
        vec![0xdf, 0xff, 0xff, 0xff, 0xff], // map of 2^32 - 1
    ];
    // What the server decodes from clients: at most 64 KiB above what the harness holds now.
    ALLOCATOR
        .set_limit(ALLOCATOR.allocated() + (64 << 10))
        .expect("set limit");
    for bytes in &cases {
        assert!(
            decode_client(bytes).is_err(),
            "{bytes:02x?} must not decode as a client message"
        );
    }
    ALLOCATOR.set_limit(usize::MAX).expect("lift limit");
    // What clients decode from a server: serde pre-sizes a claimed sequence up to 1 MiB at most, never more.
    ALLOCATOR
        .set_limit(ALLOCATOR.allocated() + (2 << 20))
        .expect("set limit");
    for bytes in &cases {
        assert!(
            decode_server(bytes).is_err(),
            "{bytes:02x?} must not decode as a server message"
        );
    }
    ALLOCATOR.set_limit(usize::MAX).expect("lift limit");
}
