use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    crypter::telemetry::init();
    crypter::cli::run(crypter::cli::Cli::parse()).await
}
