//! Read one credential every few seconds and say whether it is fresh or stale.
//!
//! ```sh
//! CRYPTER_ADDR=http://127.0.0.1:8200 CRYPTER_ROLE_ID=… CRYPTER_SECRET_ID=… \
//!   cargo run -p crypter-client --example read_credential -- staging billing/db
//! ```
//! Stop OpenBao while it runs: the value turns stale, then errors after the maximum
//! staleness; start OpenBao again and it recovers by itself.

use crypter_client::{Client, Config, Freshness};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut args = std::env::args().skip(1);
    let (Some(env), Some(path)) = (args.next(), args.next()) else {
        return Err("usage: read_credential ENV PATH".into());
    };
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let config = Config::new(
        &var("CRYPTER_ADDR")?,
        &var("CRYPTER_ROLE_ID")?,
        var("CRYPTER_SECRET_ID")?,
    )
    .cache_ttl(Duration::from_secs(5))
    .max_staleness(Duration::from_secs(120));
    let client = Client::new(config)?;
    loop {
        match client.get(&env, &path).await {
            // Print the keys, never the values.
            Ok(secret) => match secret.freshness {
                Freshness::Fresh => {
                    println!("fresh v{}: keys {:?}", secret.version, secret.data.keys())
                }
                Freshness::Stale { since } => {
                    println!("STALE since {since:?}: keys {:?}", secret.data.keys())
                }
            },
            Err(e) => println!("error: {e}"),
        }
        println!("{:?}", client.stats());
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}
