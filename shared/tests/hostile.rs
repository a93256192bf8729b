//! Property tests: random bytes and well-formed-but-hostile messages never panic the decoder, never make it
//! allocate beyond the input, and decoding what we encode gives back the same message.

use proptest::prelude::*;
use tickwire_shared::{
    ClientMessage, Delta, Hello, Input, Move, Ping, ServerMessage, decode_client, decode_server,
    encode_client, encode_server,
};

/// MessagePack fragments that claim huge sizes or nest deeply: the classic amplification attempts.
fn hostile_fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![0xdd, 0xff, 0xff, 0xff, 0xff]), // array of 2^32 - 1
        Just(vec![0xdf, 0xff, 0xff, 0xff, 0xff]), // map of 2^32 - 1
        Just(vec![0xdb, 0xff, 0xff, 0xff, 0xff]), // str of 4 GiB
        Just(vec![0xc6, 0xff, 0xff, 0xff, 0xff]), // bin of 4 GiB
        Just(vec![0xc9, 0x7f, 0xff, 0xff, 0xff, 0x01]), // ext of 2 GiB
        Just(vec![0x91; 64]),                     // deep nesting
        Just(vec![0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]), // float64 NaN
        Just(vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // u64::MAX
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    (
        any::<u32>(),
        any::<f32>(),
        any::<f32>(),
        any::<f32>(),
        any::<u8>(),
    )
        .prop_map(|(seq, dx, dy, aim, buttons)| Input {
            seq,
            dx,
            dy,
            aim,
            buttons,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_client(&bytes);
        let _ = decode_server(&bytes);
    }

    #[test]
    fn hostile_fragments_inside_messages_are_rejected(
        prefix in prop::collection::vec(0u8..=0x9f, 0..4),
        fragment in hostile_fragment(),
        suffix in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut bytes = prefix;
        bytes.extend(fragment);
        bytes.extend(suffix);
        // Must return (Ok or Err) promptly; a claimed 4 GiB length must not be allocated.
        let _ = decode_client(&bytes);
        let _ = decode_server(&bytes);
    }

    #[test]
    fn every_encoded_client_message_decodes_to_itself(input in input(), name in ".{0,40}", t in any::<f64>()) {
        for msg in [
            ClientMessage::Input(input),
            ClientMessage::Hello(Hello { version: input.seq, name: name.clone(), resume: None }),
            ClientMessage::Hello(Hello { version: 1, name: name.clone(), resume: Some([input.buttons; 16]) }),
            ClientMessage::Ping(Ping { client_time: t }),
        ] {
            let decoded = decode_client(&encode_client(&msg)).expect("our own encoding decodes");
            // NaN != NaN: compare the encodings instead of the values.
            prop_assert_eq!(encode_client(&decoded), encode_client(&msg));
        }
    }

    #[test]
    fn moves_round_trip_and_truncations_are_errors(
        raw in prop::collection::btree_map(any::<u32>(), (any::<i32>(), any::<i32>()), 0..40),
        cut in any::<prop::sample::Index>(),
    ) {
        let moves: Vec<Move> = raw.into_iter().map(|(id, (dx, dy))| Move { id, dx, dy }).collect();
        let msg = ServerMessage::Delta(Delta { tick: 2, base: 1, moves, ..Default::default() });
        let bytes = encode_server(&msg);
        prop_assert_eq!(decode_server(&bytes).expect("our own encoding decodes"), msg);
        prop_assert!(decode_server(&bytes[..cut.index(bytes.len())]).is_err());
    }

    #[test]
    fn random_moves_arrays_decode_only_when_well_formed(
        values in prop::collection::vec(prop_oneof![3 => -3i64..40, 1 => any::<i64>()], 0..30),
    ) {
        // [2, 2, 1, 0, [], [], [], [], values]
        let mut bytes = vec![0x99, 0x02, 0x02, 0x01, 0x00, 0x90, 0x90, 0x90, 0x90];
        rmp::encode::write_array_len(&mut bytes, values.len() as u32).expect("vec");
        for v in &values {
            rmp::encode::write_sint(&mut bytes, *v).expect("vec");
        }
        let well_formed = values.len() % 3 == 0
            && values.chunks(3).enumerate().all(|(i, c)| {
                (if i == 0 { 0 } else { 1 }) <= c[0]
                    && c[0] <= i64::from(u32::MAX)
                    && i32::try_from(c[1]).is_ok()
                    && i32::try_from(c[2]).is_ok()
            })
            && values.chunks(3).map(|c| c[0]).sum::<i64>() <= i64::from(u32::MAX);
        match decode_server(&bytes) {
            Ok(msg @ ServerMessage::Delta(_)) => {
                prop_assert!(well_formed, "{:?} decoded", values);
                // The encoder writes exactly these bytes back: smallest ints, the same gaps.
                prop_assert_eq!(&encode_server(&msg)[..], &bytes[..]);
            }
            Ok(other) => prop_assert!(false, "decoded as {:?}", other),
            Err(_) => prop_assert!(!well_formed, "{:?} was refused", values),
        }
    }

    #[test]
    fn truncations_of_valid_messages_are_errors(input in input(), cut in 0usize..32) {
        let bytes = encode_client(&ClientMessage::Input(input));
        let cut = cut.min(bytes.len().saturating_sub(1));
        prop_assert!(decode_client(&bytes[..cut]).is_err());
    }
}
