use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    crypter::telemetry::init();
    let cli = crypter::cli::Cli::parse();
    match crypter::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crypter: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
