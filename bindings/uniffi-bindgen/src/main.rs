//! `uniffi-bindgen` for agora-rtm-rest: generates the Kotlin and Swift sources from the
//! built `libagora_rtm_rest_uniffi` library (library mode), for example
//! `uniffi-bindgen generate --library target/.../libagora_rtm_rest_uniffi.so --language kotlin --out-dir out --no-format`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
