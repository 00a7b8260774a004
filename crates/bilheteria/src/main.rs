use clap::Parser;

// The server and the load generator allocate and free many small buffers per request, from
// several threads; mimalloc does that with less CPU than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = bilheteria::cli::Cli::parse();
    bilheteria::cli::init_logging(cli.log_format);
    match bilheteria::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
