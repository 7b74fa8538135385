//! What the console and the CLI see of a plan: counts per kind, per operation and in all,
//! the blockers items raise, and the item list one page at a time.

use super::Work;
use crypter_api::{
    ChangesetPlan, ItemCounts, NumberedItem, PlanItem, PlanItemPage, PlanWarning, PlannedChangeset,
    PlannedOperation,
};

/// Items the plan response carries (the rest are paged).
pub const FIRST_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

pub fn counts<'a>(items: impl Iterator<Item = &'a PlanItem>) -> ItemCounts {
    let mut out = ItemCounts::new();
    for i in items {
        *out.entry(i.kind().to_owned()).or_default() += 1;
    }
    out
}

/// Conflicts and refusals block the plan: one line per operation that has any.
pub fn blockers(items: &[PlanItem], work: &[Work], out: &mut Vec<String>) {
    for w in work {
        let mine = &items[w.items.clone()];
        for (i, op) in w.cs.operations.iter().enumerate() {
            let of_op = || mine.iter().filter(move |it| it.operation == i);
            let conflicts: Vec<&PlanItem> = of_op()
                .filter(|it| it.action == crypter_api::ItemAction::Conflict)
                .collect();
            // An undo runs around its conflicts: each is left as it is, and listed.
            let undo = w.direction != crate::changesets::changelog::Direction::Apply;
            if let Some(first) = conflicts.first().filter(|_| !undo) {
                out.push(format!(
                    "{} operation {} ({}) has {} conflict(s), e.g. {}: {}",
                    w.cs.id,
                    i + 1,
                    op.name(),
                    conflicts.len(),
                    first.target.label(),
                    first.reason.as_deref().unwrap_or("")
                ));
            }
            let refused: Vec<&PlanItem> = of_op().filter(|it| it.refused.is_some()).collect();
            if let Some(first) = refused.first() {
                out.push(format!(
                    "{} operation {} ({}): {} item(s) will be refused, e.g. {}: {}",
                    w.cs.id,
                    i + 1,
                    op.name(),
                    refused.len(),
                    first.target.label(),
                    first.refused.as_deref().unwrap_or("")
                ));
            }
        }
    }
}

pub fn build(
    hash: &str,
    items: &[PlanItem],
    work: &[Work],
    mut warnings: Vec<PlanWarning>,
    blockers: Vec<String>,
) -> ChangesetPlan {
    let changesets = work
        .iter()
        .map(|w| {
            let mine = &items[w.items.clone()];
            PlannedChangeset {
                id: w.cs.id.clone(),
                checksum: w.checksum.clone(),
                environment: w.cs.environment.to_string(),
                status: w.status,
                operations: w
                    .cs
                    .operations
                    .iter()
                    .enumerate()
                    .map(|(i, op)| PlannedOperation {
                        index: i,
                        op: op.name().into(),
                        summary: w.summaries.get(i).cloned().unwrap_or_default(),
                        counts: counts(mine.iter().filter(|it| it.operation == i)),
                    })
                    .collect(),
                items: mine.len() as u64,
            }
        })
        .collect();
    for it in items.iter().filter(|i| i.refused.is_some()).take(20) {
        warnings.push(PlanWarning {
            changeset: it.changeset.clone(),
            operation: Some(it.operation),
            code: "refused".into(),
            message: format!(
                "{} {}: {}",
                it.action,
                it.target.label(),
                it.refused.as_deref().unwrap_or("")
            ),
        });
    }
    ChangesetPlan {
        plan_hash: hash.to_owned(),
        changesets,
        counts: counts(items.iter()),
        warnings,
        blockers,
        items: page(items, &Filter::default(), None, FIRST_PAGE),
        undo_of: None,
    }
}

/// Which items a page lists.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// An action, or `refused`.
    pub kind: Option<String>,
    pub changeset: Option<String>,
}

impl Filter {
    fn matches(&self, item: &PlanItem) -> bool {
        self.kind.as_deref().is_none_or(|k| item.kind() == k)
            && self
                .changeset
                .as_deref()
                .is_none_or(|c| item.changeset == c)
    }
}

/// Items after position `after` (exclusive) that match, at most `limit`.
pub fn page(items: &[PlanItem], filter: &Filter, after: Option<u64>, limit: usize) -> PlanItemPage {
    let start = after.map_or(0, |a| a as usize + 1);
    let matching = items
        .iter()
        .enumerate()
        .filter(|(_, it)| filter.matches(it));
    let total = matching.clone().count() as u64;
    let mut out: Vec<NumberedItem> = matching
        .filter(|(n, _)| *n >= start)
        .take(limit.clamp(1, MAX_PAGE) + 1)
        .map(|(n, it)| NumberedItem {
            n: n as u64,
            item: it.clone(),
        })
        .collect();
    let next = if out.len() > limit.clamp(1, MAX_PAGE) {
        out.pop();
        out.last().map(|i| i.n)
    } else {
        None
    };
    PlanItemPage {
        items: out,
        total,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypter_api::{ItemAction, ItemTarget, Precondition};

    fn item(action: ItemAction, refused: bool) -> PlanItem {
        PlanItem {
            changeset: "c".into(),
            operation: 0,
            action,
            source: None,
            target: ItemTarget::Environment { name: "qa".into() },
            value: None,
            precondition: Precondition::default(),
            metadata: None,
            reason: None,
            refused: refused.then(|| "frozen".into()),
            resumed: false,
            key_move: None,
        }
    }

    #[test]
    fn pages_filter_and_continue() {
        let items: Vec<PlanItem> = (0..250)
            .map(|i| {
                item(
                    if i % 2 == 0 {
                        ItemAction::Create
                    } else {
                        ItemAction::Skip
                    },
                    i == 3,
                )
            })
            .collect();
        let all = counts(items.iter());
        assert_eq!((all["create"], all["skip"], all["refused"]), (125, 124, 1));
        let first = page(&items, &Filter::default(), None, 100);
        assert_eq!(
            (first.items.len(), first.total, first.next),
            (100, 250, Some(99))
        );
        let last = page(&items, &Filter::default(), Some(199), 100);
        assert_eq!((last.items.len(), last.next), (50, None));
        let creates = Filter {
            kind: Some("create".into()),
            ..Filter::default()
        };
        let p = page(&items, &creates, Some(10), 3);
        let ns: Vec<u64> = p.items.iter().map(|i| i.n).collect();
        assert_eq!((ns, p.total, p.next), (vec![12, 14, 16], 125, Some(16)));
        let refused = Filter {
            kind: Some("refused".into()),
            ..Filter::default()
        };
        assert_eq!(page(&items, &refused, None, 10).items[0].n, 3);
    }
}
