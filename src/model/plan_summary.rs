//! A per-resource summary of a human-readable Terraform / OpenTofu plan (the `terraform show` text
//! tofu-controller stores with `spec.storeReadablePlan: human`): which resource is created, updated, destroyed
//! or replaced, the plan's own totals line, and the outputs that change.
//!
//! The lines read are Terraform's (`internal/command/views/json/change.go` phrasing, as `terraform show`
//! prints it): `  # <address> will be created | will be updated in-place | will be destroyed | must be
//! replaced | will be read during apply`, the totals `Plan: N to add, N to change, N to destroy.`, and under
//! `Changes to Outputs:` lines `  + name = ...` / `  ~ name = ...` / `  - name = ...`. Output values are
//! never kept, only names. Text that is not a readable plan gives an empty summary with a note.
use serde::Serialize;

/// What a plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// `- destroy`: listed first, drawn red.
    Destroy,
    /// `-/+ replace` (or `+/-` with create_before_destroy).
    Replace,
    /// `~ update in-place`.
    Update,
    /// `+ create`.
    Create,
    /// `<= read` (a data source read during apply).
    Read,
}

impl Change {
    /// The symbol Terraform prints for it.
    pub fn symbol(self) -> &'static str {
        match self {
            Change::Destroy => "-",
            Change::Replace => "-/+",
            Change::Update => "~",
            Change::Create => "+",
            Change::Read => "<=",
        }
    }
}

/// The summary of one readable plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    /// `(change, resource address)`, destroys first, then replacements, updates, creates, reads; in plan order
    /// within each.
    pub resources: Vec<(Change, String)>,
    /// `Plan: N to add, N to change, N to destroy.` as `(add, change, destroy)`, when present.
    pub totals: Option<(u32, u32, u32)>,
    /// `(change, output name)` under `Changes to Outputs:`.
    pub outputs: Vec<(Change, String)>,
    /// The plan says `No changes.`
    pub no_changes: bool,
    /// The plan starts with Terraform's note on changes made outside of Terraform (drift).
    pub drift: bool,
    /// What could not be read.
    pub notes: Vec<String>,
}

impl PlanSummary {
    /// How many resources have `change`.
    pub fn count(&self, change: Change) -> usize {
        self.resources.iter().filter(|(c, _)| *c == change).count()
    }

    /// `+1 ~2 -1 -/+1` (zero counts left out; `no changes` when there are none).
    pub fn counts_text(&self) -> String {
        let parts: Vec<String> = [Change::Create, Change::Update, Change::Destroy, Change::Replace]
            .into_iter()
            .filter(|c| self.count(*c) > 0)
            .map(|c| format!("{}{}", c.symbol(), self.count(c)))
            .collect();
        if parts.is_empty() { "no changes".into() } else { parts.join(" ") }
    }
}

fn totals(line: &str) -> Option<(u32, u32, u32)> {
    let rest = line.trim().strip_prefix("Plan: ")?;
    let mut n = rest.split(", ").map(|p| p.split_whitespace().next().and_then(|d| d.parse::<u32>().ok()));
    Some((n.next()??, n.next()??, n.next()??))
}

/// Reads the summary of `text`, a human-readable plan.
pub fn summarize(text: &str) -> PlanSummary {
    let mut s = PlanSummary { drift: text.contains("Objects have changed outside of"), ..Default::default() };
    let mut in_outputs = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("No changes.") {
            s.no_changes = true;
        }
        if t == "Changes to Outputs:" {
            in_outputs = true;
            continue;
        }
        if let Some(x) = totals(t) {
            s.totals = Some(x);
            continue;
        }
        if in_outputs {
            if t.is_empty() || line.starts_with(' ') {
                let mut words = t.split_whitespace();
                let change = match words.next() {
                    Some("+") => Change::Create,
                    Some("~") => Change::Update,
                    Some("-") => Change::Destroy,
                    _ => continue,
                };
                if let Some(name) = words.next() {
                    s.outputs.push((change, name.to_string()));
                }
                continue;
            }
            in_outputs = false;
        }
        let Some(rest) = t.strip_prefix("# ") else { continue };
        let Some((address, what)) = rest.split_once(' ') else { continue };
        let change = if what.starts_with("will be created") {
            Change::Create
        } else if what.starts_with("will be updated in-place") {
            Change::Update
        } else if what.starts_with("will be destroyed") {
            Change::Destroy
        } else if what.starts_with("must be replaced") {
            Change::Replace
        } else if what.starts_with("will be read during apply") {
            Change::Read
        } else {
            continue; // `has changed` (drift notes), `has moved to`, comments
        };
        s.resources.push((change, address.to_string()));
    }
    s.resources.sort_by_key(|(c, _)| *c);
    if s.resources.is_empty() && s.totals.is_none() && !s.no_changes {
        s.notes.push("not a readable plan: no resource changes, no `Plan:` line and no `No changes.`".into());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"Note: Objects have changed outside of Terraform

  # aws_iam_role.x has changed
  ~ resource "aws_iam_role" "x" {

Terraform will perform the following actions:

  # aws_instance.web will be created
  + resource "aws_instance" "web" {
    }

  # module.vpc.aws_subnet.a["b"] will be updated in-place
  ~ resource "aws_subnet" "a" {
    }

  # aws_s3_bucket.logs will be destroyed
  - resource "aws_s3_bucket" "logs" {
    }

  # aws_db_instance.main must be replaced
-/+ resource "aws_db_instance" "main" {
    }

  # data.aws_ami.ubuntu will be read during apply
 <= data "aws_ami" "ubuntu" {
    }

Plan: 2 to add, 1 to change, 2 to destroy.

Changes to Outputs:
  + vpc_id      = (known after apply)
  ~ db_endpoint = "a" -> (known after apply)
  - old_name    = "x" -> null
"#;

    #[test]
    fn every_change_destroys_first_with_totals_outputs_and_drift() {
        let s = summarize(PLAN);
        assert_eq!(
            s.resources,
            [
                (Change::Destroy, "aws_s3_bucket.logs".to_string()),
                (Change::Replace, "aws_db_instance.main".to_string()),
                (Change::Update, "module.vpc.aws_subnet.a[\"b\"]".to_string()),
                (Change::Create, "aws_instance.web".to_string()),
                (Change::Read, "data.aws_ami.ubuntu".to_string()),
            ]
        );
        assert_eq!(s.totals, Some((2, 1, 2)));
        assert_eq!(
            s.outputs,
            [
                (Change::Create, "vpc_id".to_string()),
                (Change::Update, "db_endpoint".to_string()),
                (Change::Destroy, "old_name".to_string())
            ]
        );
        assert!(s.drift && !s.no_changes && s.notes.is_empty());
        assert_eq!(s.counts_text(), "+1 ~1 -1 -/+1");
    }

    #[test]
    fn no_changes_and_garbage() {
        let s = summarize("No changes. Your infrastructure matches the configuration.");
        assert!(s.no_changes && s.notes.is_empty());
        assert_eq!(s.counts_text(), "no changes");
        let g = summarize("<html>not a plan</html>");
        assert_eq!(g.notes.len(), 1);
        assert!(g.resources.is_empty() && g.totals.is_none());
    }
}
