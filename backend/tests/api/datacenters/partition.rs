//! Across data centers at 80 ms one way (`crypter dev --nodes 3 --instances 3 --wan
//! 80ms`): a login on dc1 works at once on dc3, a save on dc1 is read at its new version
//! at once on dc2, reads stay in their data center, and a cut-off data center serves
//! marked reads and refuses every change at once, while the others go on; after the heal
//! nothing acknowledged is missing. On loopback without the relay the first two held
//! before Crypter carried the session's index; at 80 ms they do not.

use super::dev::DevWan;
use super::session::Session;
use crypter_client::{Client, Config, Error as ClientError, Freshness};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

const ROUNDS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn across_data_centers_sessions_read_their_writes_and_a_cut_off_one_refuses_changes() {
    let dev = DevWan::start("80ms").await;
    let [dc1, dc2, dc3] = [&dev.instances[0], &dev.instances[1], &dev.instances[2]];

    // A login on dc1 is known at once on dc3.
    let mut unknown = 0;
    for _ in 0..ROUNDS {
        let s = Session::login(dc1).await.expect("log in on dc1");
        unknown += usize::from(s.get(dc3, "/api/v1/session").await.status != 200);
    }
    assert_eq!(
        unknown, 0,
        "{unknown} of {ROUNDS} logins on dc1 were not known at once on dc3"
    );

    // A save on dc1 is read at its new version at once on dc2.
    let s = Session::login(dc1).await.unwrap();
    let mut stale = Vec::new();
    for i in 0..ROUNDS {
        let saved = s.save(dc1, "wan/reg", &format!("v{i}")).await;
        assert_eq!(saved.status, 200, "{:?}", saved.body);
        let (read, version) = s.version(dc2, "wan/reg").await;
        if version != saved.body["version"].as_u64() || read.stale {
            stale.push((saved.body["version"].clone(), version));
        }
    }
    assert!(
        stale.is_empty(),
        "saves on dc1 read stale at once on dc2: {stale:?}"
    );

    // Reads stay local: once dc2 has the session's last write, dc2's node answers alone.
    let local = crate::helpers::eventually(
        "a read on dc2 answered by dc2 alone",
        Duration::from_secs(10),
        || async {
            let (a, _) = s.version(dc2, "wan/reg").await;
            (a.nodes == "dc2").then_some(a)
        },
    )
    .await;
    assert!(!local.stale);

    partitioned(&dev, &s).await;
    relay_errors(&dev).await;
    relay_killed(&dev, &s).await;
}

/// Killing the relay cuts every data center off from the others: a partition everywhere,
/// never a hang. Every instance refuses writes at once and marks its reads.
async fn relay_killed(dev: &DevWan, s: &Session) {
    dev.kill_relay();
    let killed = Instant::now();
    let gone = reqwest::get(&dev.control).await;
    assert!(
        gone.is_err(),
        "the control address still answers after the relay was killed"
    );
    // Within 5 s of the cut, every instance answers a change with a refusal within 1 s.
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(killed.elapsed())).await;
    for base in &dev.instances {
        let t = Instant::now();
        let w = s.save(base, "wan/norelay", "z").await;
        assert!(
            t.elapsed() <= Duration::from_secs(1),
            "{base}: the refusal took {:?}",
            t.elapsed()
        );
        assert_eq!(
            (w.status, w.code()),
            (503, Some("leader_unreachable")),
            "{base}: {:?}",
            w.body
        );
        let (read, _) = s.version(base, "wan/reg").await;
        assert_eq!(
            (read.status, read.stale),
            (200, true),
            "{base}: {:?}",
            read.body
        );
    }
}

/// Cut dc3 off: marked reads and quick refusals there, business as usual elsewhere, and
/// nothing lost after the heal.
async fn partitioned(dev: &DevWan, s: &Session) {
    let [dc1, dc2, dc3] = [&dev.instances[0], &dev.instances[1], &dev.instances[2]];
    // dc3 has served this session before the cut; `newcomer` it has never seen.
    assert_eq!(s.get(dc3, "/api/v1/session").await.status, 200);
    let newcomer = Session::login(dc1).await.unwrap();
    let client = dc3_client(dev).await;
    // The role was just made through dc1: dc3's node has it a round trip later.
    let fresh = crate::helpers::eventually(
        "a read in dc3 before the cut",
        Duration::from_secs(10),
        || async { client.get("staging", "wan/reg").await.ok() },
    )
    .await;
    assert_eq!(fresh.freshness, Freshness::Fresh);
    let (status, state) = dev.relay("partition", "dc3").await;
    assert_eq!(status, 200);
    assert!(state["partitioned"]["dc3"].is_string(), "{state}");
    let cut_at = Instant::now();
    let marked = crate::helpers::eventually(
        "a read through dc3 is marked stale",
        Duration::from_secs(5),
        || async {
            let (a, v) = s.version(dc3, "wan/reg").await;
            (a.status == 200 && a.stale).then_some(v)
        },
    )
    .await;
    assert!(cut_at.elapsed() <= Duration::from_secs(5));
    assert!(
        marked.is_some(),
        "the marked read still answers with the credential"
    );

    // Within 5 s of the cut, every change through dc3 is refused at once, naming the cause.
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(cut_at.elapsed())).await;
    let t = Instant::now();
    let w = s.save(dc3, "wan/dc3", "x").await;
    assert!(
        t.elapsed() <= Duration::from_secs(1),
        "the refusal took {:?}",
        t.elapsed()
    );
    assert_eq!(
        (w.status, w.code()),
        (503, Some("leader_unreachable")),
        "{:?}",
        w.body
    );
    let message = w.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("dc3 cannot reach the store's leader since"),
        "{message}"
    );
    let freeze = s
        .write(
            Method::PUT,
            dc3,
            "/api/v1/freeze",
            &json!({"level": "provisioning", "reason": "wan"}),
        )
        .await;
    let plan = s
        .write(Method::POST, dc3, "/api/v1/changesets/plan", &json!({}))
        .await;
    let login = Session::login(dc3)
        .await
        .err()
        .expect("a login writes: refused in dc3");
    for (what, a) in [("freeze", &freeze), ("plan", &plan), ("login", &login)] {
        assert_eq!(
            (a.status, a.code()),
            (503, Some("leader_unreachable")),
            "{what}: {:?}",
            a.body
        );
    }
    // A session dc3 never served cannot be opened there during the cut: its token is
    // sealed with a transit key only the leader can use. It is refused, never a hang.
    let opened = newcomer.get(dc3, "/api/v1/session").await;
    assert_eq!(
        (opened.status, opened.code()),
        (503, Some("leader_unreachable")),
        "{:?}",
        opened.body
    );
    let health = s.get(dc3, "/api/v1/health").await;
    assert!(
        health.body["consistency"]["leader_unreachable_since"].is_string(),
        "{:?}",
        health.body
    );
    client_in_dc3(&client).await;

    // dc1 and dc2 keep serving reads and writes.
    let mut acked = Vec::new();
    for i in 0..6 {
        let base = [dc1, dc2][i % 2];
        let a = s.save(base, &format!("wan/during{i}"), "y").await;
        assert_eq!(
            a.status, 200,
            "a write through {base} while dc3 is cut off: {:?}",
            a.body
        );
        acked.push(i);
    }
    let cluster = s.get(dc1, "/api/v1/cluster").await;
    let dc3_view = cluster.body["datacenters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "dc3")
        .cloned();
    assert!(
        dc3_view.is_some_and(|d| d["unreachable_since"].is_string()),
        "{:?}",
        cluster.body["datacenters"]
    );

    let (status, _) = dev.relay("heal", "dc3").await;
    assert_eq!(status, 200);
    dev.converged(Duration::from_secs(60)).await;
    for i in acked {
        let (a, v) = s.version(dc3, &format!("wan/during{i}")).await;
        assert_eq!(
            (a.status, v, a.stale),
            (200, Some(1), false),
            "wan/during{i} after the heal: {:?}",
            a.body
        );
    }
    let w = s.save(dc3, "wan/dc3", "after").await;
    assert_eq!(
        w.status, 200,
        "dc3 takes writes again after the heal: {:?}",
        w.body
    );
}

/// How long the dc3 client may serve a value it could not confirm.
const MAX_STALE: Duration = Duration::from_secs(15);

/// `crypter-client` in dc3, reading from dc3's node: it confirms values at the leader,
/// trusts them for 1 s, and serves them stale for [`MAX_STALE`] at most.
async fn dc3_client(dev: &DevWan) -> Client {
    let (role_id, secret_id) = dev.approle("wan-client").await;
    let config = Config::new(&dev.nodes[2].api, &role_id, secret_id)
        .cache_ttl(Duration::from_secs(1))
        .max_staleness(MAX_STALE)
        .request_timeout(Duration::from_secs(2))
        .login_backoff(Duration::from_millis(100));
    Client::new(config).unwrap()
}

/// Cut off, the client cannot confirm its value at the leader: `Stale { since }` within
/// its maximum staleness, an error past it. Never the local node's copy as fresh.
async fn client_in_dc3(client: &Client) {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let t = Instant::now();
    let stale = client
        .get("staging", "wan/reg")
        .await
        .expect("a stale value within the maximum");
    assert!(
        matches!(stale.freshness, Freshness::Stale { .. }),
        "{:?}",
        stale.freshness
    );
    assert!(
        t.elapsed() <= Duration::from_secs(5),
        "the stale answer took {:?}",
        t.elapsed()
    );
    let Freshness::Stale { since } = stale.freshness else {
        unreachable!()
    };
    let past_max = since + MAX_STALE + Duration::from_secs(1);
    let wait = past_max
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
    let past = client.get("staging", "wan/reg").await;
    assert!(
        matches!(past, Err(ClientError::TooStale { .. })),
        "{past:?}"
    );
}

/// A partition of a data center the relay does not know is a clear 404.
async fn relay_errors(dev: &DevWan) {
    let (status, body) = dev.relay("partition", "dc9").await;
    assert_eq!(status, 404);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("dc9") && message.contains("dc1, dc2, dc3"),
        "{message}"
    );
    let state = dev.relay_state().await;
    assert_eq!(state["delay_ms"], 80);
    assert!(
        state["partitioned"].as_object().unwrap().is_empty(),
        "{state}"
    );
}
