//! The `containers-policy` command-line tool.

fn main() {
    println!("containers-policy {}", env!("CARGO_PKG_VERSION"));
}
