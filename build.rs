//! The locale files are read at compile time (`rust_i18n::i18n!` in src/lib.rs);
//! cargo does not know that, so a change to them alone would leave a stale build.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
