//! The `:` command palette: fuzzy over views, contexts, kinds and objects (k9s habit: `:clusters`,
//! `:flux`, a context name, an object name).
use super::rows::Rows;
use super::state::{State, View};
use crate::model::object_ref::ObjectRef;

/// One palette entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What is shown and matched.
    pub label: String,
    /// What choosing it does.
    pub target: Pick,
}

/// What a palette entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// Show a view.
    View(View),
    /// Show the Flux view filtered to a context.
    Context(String),
    /// Show an object's tree.
    Object(ObjectRef),
    /// Open the create wizard.
    NewCluster,
}

/// Most entries listed.
pub const LIMIT: usize = 50;

/// Subsequence match score: higher is better; `None` when `query` is not a subsequence of `text`.
/// Consecutive and word-start matches score more (as fzf-like pickers do).
pub fn score(query: &str, text: &str) -> Option<i64> {
    if query.is_empty() {
        return Some(0);
    }
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let mut score = 0i64;
    let mut ti = 0;
    let mut prev: Option<usize> = None;
    for qc in query.to_lowercase().chars() {
        let found = (ti..t.len()).find(|&i| t[i] == qc)?;
        score += 10;
        if prev.is_some_and(|p| p + 1 == found) {
            score += 15;
        }
        if found == 0 || matches!(t[found - 1], '/' | '-' | ' ' | ':' | '.') {
            score += 8;
        }
        score -= (found - ti) as i64;
        prev = Some(found);
        ti = found + 1;
    }
    Some(score - t.len() as i64 / 8)
}

/// The entries matching `query`, best first.
pub fn matches(query: &str, rows: &Rows) -> Vec<Choice> {
    let mut all: Vec<Choice> = [
        ("fleet", View::Fleet),
        ("clusters", View::Clusters),
        ("flux", View::Flux),
        ("kustomizations", View::Flux),
        ("helmreleases", View::Flux),
        ("terraform", View::Terraform),
        ("crossplane", View::Crossplane),
        ("pulse", View::Pulse),
    ]
    .into_iter()
    .map(|(l, v)| Choice { label: format!(":{l}"), target: Pick::View(v) })
    .collect();
    all.push(Choice { label: ":new-cluster".into(), target: Pick::NewCluster });
    for r in &rows.fleet {
        all.push(Choice { label: format!("context {}", r.name), target: Pick::Context(r.name.clone()) });
    }
    let objects = rows
        .clusters
        .iter()
        .map(|r| &r.obj)
        .chain(rows.flux.iter().map(|r| &r.obj))
        .chain(rows.terraform.iter().map(|r| &r.obj));
    for o in objects {
        if o.kind.has_tree() {
            all.push(Choice {
                label: format!("{} {}/{}/{}", o.kind.spec().kind, o.context, o.namespace, o.name),
                target: Pick::Object(o.clone()),
            });
        }
    }
    let mut scored: Vec<(i64, Choice)> =
        all.into_iter().filter_map(|c| score(query, &c.label).map(|s| (s, c))).collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.label.cmp(&b.1.label)));
    scored.into_iter().take(LIMIT).map(|(_, c)| c).collect()
}

/// Carries out a chosen entry; `:new-cluster` opens the create wizard, whose loading task is pushed on
/// `tasks`.
pub fn apply(state: &mut State, pick: &Choice, tasks: &mut Vec<super::wizard::Task>) {
    match &pick.target {
        Pick::View(v) => state.go(v.clone()),
        Pick::Context(c) => {
            state.go(View::Flux);
            state.nav.filter = c.clone();
        }
        Pick::Object(o) => state.go(View::Tree(o.clone())),
        Pick::NewCluster => {
            super::wizard::flow::open(state, tasks);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence_scoring_prefers_tight_word_start_matches() {
        assert!(score("clu", "clusters").is_some());
        assert!(score("xyz", "clusters").is_none());
        let tight = score("prod", "context prod-us").expect("match");
        let loose = score("prod", "context p-r-o-d").expect("match");
        assert!(tight > loose);
        assert_eq!(matches("terra", &Rows::default())[0].label, ":terraform");
        assert_eq!(matches("new", &Rows::default())[0].target, Pick::NewCluster);
    }
}
