//! Tests on PostgreSQL run when `BILHETERIA_TEST_DATABASE_URL` is set; otherwise they are
//! compiled as ignored, so that a run without PostgreSQL reports them as not run.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(bilheteria_postgres_tests)");
    println!("cargo::rerun-if-env-changed=BILHETERIA_TEST_DATABASE_URL");
    // `sqlx::migrate!` embeds the migrations: a new or changed one must rebuild the crate.
    println!("cargo::rerun-if-changed=migrations");
    let configured =
        std::env::var("BILHETERIA_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty());
    if configured {
        println!("cargo::rustc-cfg=bilheteria_postgres_tests");
    }
}
