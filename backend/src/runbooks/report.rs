//! The Markdown report of a run, in the style of a good migration write-up. Built only from
//! the run's record (states, summaries, evidence fields that name paths, policies,
//! identities and checksums), never from credential values or tokens.

use crypter_api::{RunStatus, StepState};
use crypter_api::{RunStep, Runbook};
use serde_json::Value;
use std::fmt::Write;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One line of a table cell: no pipes, no newlines.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn duration(run: &Runbook) -> String {
    let parse = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok();
    let end = run.ended_at.as_deref().and_then(parse);
    match (parse(&run.started_at), end) {
        (Some(a), Some(b)) => {
            let secs = (b - a).whole_seconds().max(0);
            format!(
                "{}h {:02}m {:02}s",
                secs / 3600,
                secs % 3600 / 60,
                secs % 60
            )
        }
        _ => "still running".into(),
    }
}

fn impact_line(run: &Runbook) -> String {
    let impacts: Vec<String> = run
        .incidents
        .iter()
        .filter(|i| !i.user_impact.eq_ignore_ascii_case("none"))
        .map(|i| format!("#{} {}", i.n, i.user_impact))
        .collect();
    if impacts.is_empty() {
        "no user impact".into()
    } else {
        format!("user impact: {}", impacts.join("; "))
    }
}

/// The report with the audit sections (see [`super::audit`]).
pub fn render_with(run: &Runbook, audit: &Result<super::audit::RunAudit, String>) -> String {
    let mut md = render(run);
    super::audit::render(&mut md, audit);
    md
}

pub fn render(run: &Runbook) -> String {
    let mut md = String::new();
    let outcome = match run.status {
        RunStatus::Succeeded => "Succeeded",
        RunStatus::Aborted => "Aborted",
        RunStatus::InProgress => "In progress",
    };
    let _ = writeln!(md, "# Runbook report: {}\n", cell(&run.title));
    let _ = writeln!(
        md,
        "**{outcome}** in {}, {} incident(s), {}.\n",
        duration(run),
        run.incidents.len(),
        impact_line(run)
    );
    let _ = writeln!(md, "- Run: `{}` from template `{}`", run.id, run.template);
    let _ = writeln!(md, "- Lead: {}", cell(&run.lead));
    let _ = writeln!(md, "- Environments: {}", run.environments.join(", "));
    let _ = writeln!(
        md,
        "- Started: {}; ended: {}\n",
        run.started_at,
        run.ended_at.as_deref().unwrap_or("-")
    );

    md.push_str("## Plan\n\n| # | Step | Kind | State |\n|---|---|---|---|\n");
    for (n, s) in run.steps.iter().enumerate() {
        let gate = if s.step.gate { " (go/no-go)" } else { "" };
        let _ = writeln!(
            md,
            "| {} | {}{gate} | {} | {} |",
            n + 1,
            cell(&s.step.title),
            s.step.kind,
            s.state
        );
    }

    md.push_str("\n## Steps\n");
    for s in &run.steps {
        step_section(&mut md, s);
    }

    rollback_section(&mut md, run);

    md.push_str("\n## Incidents\n\n");
    if run.incidents.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str("| # | Title | Severity | Status | User impact | Follow-up | Step |\n|---|---|---|---|---|---|---|\n");
        for i in &run.incidents {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                i.n,
                cell(&i.title),
                i.severity,
                i.status,
                cell(&i.user_impact),
                cell(if i.follow_up.is_empty() {
                    "-"
                } else {
                    &i.follow_up
                }),
                i.step.as_deref().unwrap_or("-")
            );
        }
    }

    md.push_str(
        "\n## Timeline\n\n| Time | Actor | Event | Step | Detail |\n|---|---|---|---|---|\n",
    );
    for e in &run.timeline {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            e.at,
            cell(&e.actor),
            e.kind,
            e.step.as_deref().unwrap_or("-"),
            cell(&e.message)
        );
    }
    md
}

/// The roll back, when the run has one: what it undid, the conflicts it left, who signed
/// it off on which inverse plan, and what its apply did.
fn rollback_section(md: &mut String, run: &Runbook) {
    let Some(i) = run
        .steps
        .iter()
        .position(|s| s.step.kind == "plan_rollback")
    else {
        return;
    };
    let plan = &run.steps[i];
    md.push_str("\n## Roll back\n\n");
    if !matches!(plan.state, StepState::Passed | StepState::Failed) {
        let why = plan.reason.as_deref().unwrap_or(plan.state.as_str());
        let _ = writeln!(md, "Not rolled back ({}).", cell(why));
        return;
    }
    let e = plan.evidence.clone().unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        e.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let _ = writeln!(
        md,
        "- Undone, the last first: {}",
        list("rollback_of").join(", ")
    );
    let _ = writeln!(
        md,
        "- Planned: {}",
        cell(plan.summary.as_deref().unwrap_or("-"))
    );
    for c in list("conflicts") {
        let _ = writeln!(md, "  - conflict, left as it is: {}", cell(&c));
    }
    let after = &run.steps[i + 1..];
    if let Some(so) = after
        .iter()
        .find(|s| s.step.gate)
        .and_then(|g| g.signoff.as_ref())
    {
        let _ = writeln!(
            md,
            "- Roll back signed off by {} at {} on plan `{}`",
            so.by,
            so.at,
            so.plan_hash.as_deref().unwrap_or("-")
        );
    }
    if let Some(a) = after.iter().find(|s| s.step.kind == "apply_changesets") {
        let _ = writeln!(
            md,
            "- Roll back applied: {} ({})",
            cell(a.summary.as_deref().unwrap_or("-")),
            a.state
        );
        let events = a
            .evidence
            .as_ref()
            .and_then(|e| e.pointer("/job/events"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for n in events.iter().filter(|ev| ev["kind"] == "note") {
            let _ = writeln!(md, "  - {}", cell(str_of(n, "message")));
        }
    }
}

fn step_section(md: &mut String, s: &RunStep) {
    let _ = writeln!(md, "\n### {} ({})\n", cell(&s.step.title), s.state);
    if let Some(by) = &s.by {
        let _ = writeln!(
            md,
            "- By {by}, {} → {}",
            s.started_at.as_deref().unwrap_or("-"),
            s.ended_at.as_deref().unwrap_or("-")
        );
    }
    if let Some(summary) = &s.summary {
        let _ = writeln!(md, "- Result: {}", cell(summary));
    }
    if let Some(reason) = &s.reason {
        let _ = writeln!(md, "- Skipped: {}", cell(reason));
    }
    if let Some(note) = &s.note {
        let _ = writeln!(md, "- Note: {}", cell(note));
    }
    if let Some(so) = &s.signoff {
        let _ = writeln!(
            md,
            "- Signed off by {} at {} on plan `{}`",
            so.by,
            so.at,
            so.plan_hash.as_deref().unwrap_or("-")
        );
    }
    for v in &s.voided {
        let _ = writeln!(
            md,
            "- Void sign-off by {} at {} (plan `{}` changed)",
            v.by,
            v.at,
            v.plan_hash.as_deref().unwrap_or("-")
        );
    }
    if let Some(e) = &s.evidence {
        evidence(md, &s.step.kind, e);
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("-")
}

fn evidence(md: &mut String, kind: &str, e: &Value) {
    let items = |key: &str| {
        e.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    match kind {
        "verify_freeze" if e.get("probes").is_some() => freeze_probes(md, &items("probes")),
        "freeze" => {
            let _ = writeln!(md, "- Policies rewritten: {}", join(&items("policies")));
        }
        "thaw" => {
            for p in items("restored") {
                let _ = writeln!(
                    md,
                    "  - `{}` {} ({})",
                    str_of(&p, "policy"),
                    str_of(&p, "sha256"),
                    if p["matches_snapshot"] == true {
                        "matches"
                    } else {
                        "DIFFERS"
                    }
                );
            }
        }
        "verify_identities" => {
            for r in items("results") {
                let probes = r
                    .get("probes")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                let _ = writeln!(
                    md,
                    "  - identity `{}`: {} ({probes} probes)",
                    str_of(&r, "role"),
                    str_of(&r, "status")
                );
            }
        }
        "lint_environments" => lint_findings(md, &items("findings")),
        "cluster_health" => cluster_nodes(md, &items("nodes")),
        "snapshot" => super::snapshot::report(md, e),
        _ => super::changes::report(md, kind, e),
    }
    if let Some(err) = e.get("error").and_then(Value::as_str) {
        let _ = writeln!(md, "- Error: {}", cell(err));
    }
}

fn freeze_probes(md: &mut String, probes: &[Value]) {
    let denied = probes
        .iter()
        .filter(|p| str_of(p, "got") == "denied")
        .count();
    let _ = writeln!(md, "- Probes: {} run, {denied} denied", probes.len());
    for p in probes.iter().filter(|p| str_of(p, "status") != "pass") {
        let _ = writeln!(
            md,
            "  - FAILED: policy `{}` {} `{}`: expected {}, got {}",
            str_of(p, "policy"),
            str_of(p, "operation"),
            str_of(p, "path"),
            str_of(p, "expected"),
            str_of(p, "got")
        );
    }
}

fn lint_findings(md: &mut String, findings: &[Value]) {
    for f in findings {
        let _ = writeln!(
            md,
            "  - {} `{}` {}/{}: {}",
            str_of(f, "severity"),
            str_of(f, "rule"),
            str_of(f, "environment"),
            str_of(f, "path"),
            cell(str_of(f, "message"))
        );
    }
}

fn cluster_nodes(md: &mut String, nodes: &[Value]) {
    for n in nodes {
        let _ = writeln!(
            md,
            "  - node `{}` ({}): {}{}",
            str_of(n, "node_id"),
            str_of(n, "datacenter"),
            if n["healthy"] == true {
                "healthy"
            } else {
                "UNHEALTHY"
            },
            if n["leader"] == true { ", leader" } else { "" }
        );
    }
}

fn join(v: &[Value]) -> String {
    let names: Vec<&str> = v.iter().filter_map(Value::as_str).collect();
    if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    }
}
