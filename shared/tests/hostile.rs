//! Property tests: random bytes and well-formed-but-hostile messages never panic the decoder, never make it
//! allocate beyond the input, and decoding what we encode gives back the same message.

use proptest::prelude::*;
use tickwire_shared::{
    ClientMessage, Hello, Input, Ping, decode_client, decode_server, encode_client,
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
    fn truncations_of_valid_messages_are_errors(input in input(), cut in 0usize..32) {
        let bytes = encode_client(&ClientMessage::Input(input));
        let cut = cut.min(bytes.len().saturating_sub(1));
        prop_assert!(decode_client(&bytes[..cut]).is_err());
    }
}
