use clap::Parser;

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
