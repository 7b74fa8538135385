//! `crypter dev --wan` refuses what it cannot build, before starting anything.

use std::process::Stdio;

async fn dev(args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_crypter"))
        .arg("dev")
        .args(["--listen", "127.0.0.1:0", "--no-demo"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_wan_that_does_not_parse_or_cannot_be_built_is_a_clear_error() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--nodes", "3", "--wan", "fast"],
            "give a one-way delay such as 80ms",
        ),
        (&["--nodes", "3", "--wan", "20s"], "at most 10s"),
        (&["--wan", "80ms"], "give --nodes 2 or more"),
        (
            &["--nodes", "2", "--instances", "3", "--wan", "80ms"],
            "give --instances 2 or fewer",
        ),
    ];
    for (args, want) in cases {
        let (ok, stderr) = dev(args).await;
        assert!(!ok, "{args:?} started");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}
