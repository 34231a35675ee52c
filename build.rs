//! Rebuilds when a migration is added: `sqlx::migrate!` embeds the `migrations/` trees at compile time, and
//! Cargo does not see new files there by itself (sqlx's documentation gives this build script).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
