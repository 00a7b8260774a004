//! Tests on PostgreSQL (Redis, a browser) run when `BILHETERIA_TEST_DATABASE_URL`
//! (`BILHETERIA_TEST_REDIS_URL`, `BILHETERIA_TEST_BROWSER`) is set; otherwise they are compiled
//! as ignored, so that a run without those servers reports them as not run.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(bilheteria_postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(bilheteria_redis_tests)");
    println!("cargo::rustc-check-cfg=cfg(bilheteria_browser_tests)");
    println!("cargo::rerun-if-env-changed=BILHETERIA_TEST_BROWSER");
    if std::env::var("BILHETERIA_TEST_BROWSER").is_ok_and(|path| !path.trim().is_empty()) {
        println!("cargo::rustc-cfg=bilheteria_browser_tests");
    }
    println!("cargo::rerun-if-env-changed=BILHETERIA_TEST_REDIS_URL");
    if std::env::var("BILHETERIA_TEST_REDIS_URL").is_ok_and(|url| !url.trim().is_empty()) {
        println!("cargo::rustc-cfg=bilheteria_redis_tests");
    }
    println!("cargo::rerun-if-env-changed=BILHETERIA_TEST_DATABASE_URL");
    let configured =
        std::env::var("BILHETERIA_TEST_DATABASE_URL").is_ok_and(|url| !url.trim().is_empty());
    if configured {
        println!("cargo::rustc-cfg=bilheteria_postgres_tests");
    }
}
