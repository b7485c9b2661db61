//! Feeds arbitrary text to the token parser and verifier: nothing may panic.
#![no_main]

use agora_rtm_rest_protocol::token;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = token::parse_token(&text);
    let _ = token::verify_token(&text, "5CFd2fd1755d40ecb72977518be15d3b", 1_111_111);
    // Also well-prefixed inputs, so the fuzzer reaches the decoders quickly.
    for prefix in ["007", "006970CA35de60c44645bbae8a215061b33"] {
        let candidate = format!("{prefix}{text}");
        if let Ok(parsed) = token::parse_token(&candidate) {
            let _ = parsed.to_json();
        }
    }
});
