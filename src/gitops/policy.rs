//! Policy checks before anything is written: rules from `.fleetdeck/policy.yaml` in the GitOps repository
//! (read at the base branch, so a rule change is itself reviewed) over the parameters and rendered objects
//! of a wizard run. Any violation blocks the write; each names the parameter it came from (when one can be
//! traced) and the object and field it was found at, so a form can show it at its field.
//!
//! ```yaml
//! # .fleetdeck/policy.yaml
//! kubernetesVersions: [v1.32, v1.33]   # allowed; "v1.33" also allows v1.33.x
//! regions: [eu-west-1, eu-central-1]   # spec.region of rendered objects
//! replicas: { min: 1, max: 10 }        # spec.replicas and topology replicas of Cluster API objects
//! requiredLabels:                      # on rendered objects (kinds: all when empty)
//!   - { key: team, kinds: [Cluster] }
//!   - { key: env, values: [dev, prod] }
//! clusterNamePattern: "^[a-z]+-[a-z0-9-]+$"
//! ```
//! Unknown keys are errors naming the file, so a typo does not silently disable a rule.
use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::yaml;

/// Path of the policy file in the repository.
pub const POLICY_PATH: &str = ".fleetdeck/policy.yaml";

/// Rules; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyRules {
    /// Allowed Kubernetes versions (`v` optional; an entry also allows its patch versions).
    #[serde(default)]
    pub kubernetes_versions: Vec<String>,
    /// Allowed regions (`spec.region`).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Bounds of replica counts.
    #[serde(default)]
    pub replicas: Option<Bounds>,
    /// Labels rendered objects must carry.
    #[serde(default)]
    pub required_labels: Vec<RequiredLabel>,
    /// A regular expression (Rust `regex` syntax) the whole cluster name must match.
    #[serde(default)]
    pub cluster_name_pattern: Option<String>,
}

/// Inclusive bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Smallest allowed value.
    #[serde(default)]
    pub min: Option<i64>,
    /// Largest allowed value.
    #[serde(default)]
    pub max: Option<i64>,
}

/// A label rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredLabel {
    /// Label key.
    pub key: String,
    /// Allowed values (any when empty).
    #[serde(default)]
    pub values: Vec<String>,
    /// Kinds the rule applies to (every rendered object when empty).
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The parameter the offending value came from, when it can be traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// `<file>#<Kind>/<namespace>/<name>` of the offending object, for object rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The field inside the object, e.g. `spec.replicas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule and the value, for people.
    pub message: String,
    /// Where the rule came from (the policy file's path, or `config`).
    pub rule_source: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = match (&self.param, &self.object, &self.field) {
            (Some(p), _, _) => p.clone(),
            (None, Some(o), Some(field)) => format!("{o} {field}"),
            (None, Some(o), None) => o.clone(),
            _ => "cluster".into(),
        };
        write!(f, "{at}: {} ({})", self.message, self.rule_source)
    }
}

/// What a policy is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The cluster's name (`""` when what is written is no cluster, e.g. a Crossplane claim: the
    /// `clusterNamePattern` rule is then not checked).
    pub cluster_name: &'a str,
    /// Parameter values (defaults filled in).
    pub params: &'a BTreeMap<String, String>,
    /// Rendered files: path and objects.
    pub files: &'a [(String, Vec<Value>)],
}

/// Rules with where they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// `(source, rules)` pairs; all are checked.
    pub sources: Vec<(String, PolicyRules)>,
}

/// The user's policy file in fleetdeck's config directory (same schema as the repository's).
pub const CONFIG_POLICY_FILE: &str = "policy.yaml";

impl Policy {
    /// Parses a policy file's text; errors name `source` and the line.
    ///
    /// # Errors
    /// Malformed YAML, unknown keys, an invalid `clusterNamePattern`.
    pub fn parse(source: &str, text: &str) -> Result<PolicyRules> {
        let docs = yaml::parse_docs(text, source)?;
        let rules: PolicyRules = match docs.into_iter().next() {
            None => PolicyRules::default(),
            Some(doc) => serde_json::from_value(doc).with_context(|| format!("{source}: invalid policy"))?,
        };
        if let Some(p) = &rules.cluster_name_pattern {
            regex::Regex::new(p).with_context(|| format!("{source}: clusterNamePattern {p:?} is not a valid regex"))?;
        }
        Ok(rules)
    }

    /// The repository's policy at `rev` (`.fleetdeck/policy.yaml`); no rules when the file is absent.
    ///
    /// # Errors
    /// git failures, or a malformed policy file (named, with the line).
    pub fn from_repo(repo: &super::repo::Repo, rev: &str) -> Result<Policy> {
        let text = repo.read_files(rev, &[POLICY_PATH.to_owned()])?.into_iter().next().flatten();
        let mut policy = Policy::default();
        if let Some(text) = text {
            policy.sources.push((POLICY_PATH.to_owned(), Policy::parse(POLICY_PATH, &text)?));
        }
        Ok(policy)
    }

    /// The policy a write is checked against: the repository's (`.fleetdeck/policy.yaml` at `rev`) and,
    /// when it exists, the user's `policy.yaml` in fleetdeck's config directory (`config_dir`), which
    /// applies to every repository. Violations name the file they come from.
    ///
    /// # Errors
    /// As [`Policy::from_repo`]; a config policy file that cannot be read or parsed (named, with the line).
    pub fn for_write(repo: &super::repo::Repo, rev: &str, config_dir: Option<&std::path::Path>) -> Result<Policy> {
        let mut policy = Policy::from_repo(repo, rev)?;
        if let Some(dir) = config_dir {
            let path = dir.join(CONFIG_POLICY_FILE);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let source = path.display().to_string();
                    let rules = Policy::parse(&source, &text)?;
                    policy = policy.with(&source, rules);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            }
        }
        Ok(policy)
    }

    /// Adds rules from `source`.
    pub fn with(mut self, source: &str, rules: PolicyRules) -> Policy {
        self.sources.push((source.to_owned(), rules));
        self
    }

    /// Every violation, in rule order. Empty: the write may go ahead.
    pub fn check(&self, subject: &Subject<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for (source, rules) in &self.sources {
            check_rules(rules, source, subject, &mut out);
        }
        out
    }
}

fn trace(params: &BTreeMap<String, String>, value: &str, hint: &[&str]) -> Option<String> {
    let matches: Vec<&String> = params.iter().filter(|(_, v)| v.as_str() == value).map(|(k, _)| k).collect();
    matches.iter().find(|k| hint.iter().any(|h| k.contains(h))).or(matches.first()).map(|k| (*k).clone())
}

fn scalar(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn version_allowed(allowed: &[String], v: &str) -> bool {
    let v = v.trim_start_matches('v');
    allowed.iter().map(|a| a.trim_start_matches('v')).any(|a| v == a || v.starts_with(&format!("{a}.")))
}

/// `(field path, value)` of the fields a rule looks at in one object.
fn fields<'a>(obj: &'a Value, paths: &[&str]) -> Vec<(String, &'a Value)> {
    let mut out = Vec::new();
    for p in paths {
        if let Some(v) = obj.pointer(&format!("/{}", p.replace('.', "/"))) {
            out.push(((*p).to_owned(), v));
        }
    }
    if let Some(mds) = obj.pointer("/spec/topology/workers/machineDeployments").and_then(Value::as_array)
        && paths.contains(&"spec.replicas")
    {
        for (i, md) in mds.iter().enumerate() {
            if let Some(r) = md.get("replicas") {
                out.push((format!("spec.topology.workers.machineDeployments[{i}].replicas"), r));
            }
        }
    }
    out
}

fn check_rules(rules: &PolicyRules, source: &str, s: &Subject<'_>, out: &mut Vec<Violation>) {
    let mut push = |param: Option<String>, object: Option<String>, field: Option<String>, message: String| {
        out.push(Violation { param, object, field, message, rule_source: source.to_owned() });
    };
    if let Some(pattern) = &rules.cluster_name_pattern
        && !s.cluster_name.is_empty()
        && let Ok(re) = regex::Regex::new(&format!("^(?:{pattern})$"))
        && !re.is_match(s.cluster_name)
    {
        let param = s.params.contains_key("CLUSTER_NAME").then(|| "CLUSTER_NAME".to_owned());
        push(param, None, None, format!("cluster name {:?} does not match {pattern:?}", s.cluster_name));
    }
    for (path, objects) in s.files {
        for obj in objects {
            let at = Some(format!("{path}#{}", yaml::describe(obj)));
            let (group, kind, _, _) = yaml::object_key(obj);
            let capi = group.ends_with("cluster.x-k8s.io");
            if capi && !rules.kubernetes_versions.is_empty() {
                for (field, v) in fields(obj, &["spec.version", "spec.topology.version", "spec.template.spec.version"])
                {
                    let v = scalar(v);
                    if !version_allowed(&rules.kubernetes_versions, &v) {
                        let msg = format!(
                            "Kubernetes version {v} is not allowed (allowed: {})",
                            rules.kubernetes_versions.join(", ")
                        );
                        push(trace(s.params, &v, &["VERSION"]), at.clone(), Some(field), msg);
                    }
                }
            }
            if !rules.regions.is_empty() {
                // A cluster's `spec.region`, a Crossplane claim's `spec.parameters.region` (the common shape).
                for (field, v) in fields(obj, &["spec.region", "spec.parameters.region"]) {
                    let v = scalar(v);
                    if !rules.regions.contains(&v) {
                        let msg = format!("region {v} is not allowed (allowed: {})", rules.regions.join(", "));
                        push(trace(s.params, &v, &["REGION"]), at.clone(), Some(field), msg);
                    }
                }
            }
            if let (Some(b), true) = (&rules.replicas, capi) {
                for (field, v) in fields(obj, &["spec.replicas", "spec.topology.controlPlane.replicas"]) {
                    let param = trace(s.params, &scalar(v), &["COUNT", "REPLICA"]);
                    let msg = match v.as_i64() {
                        None => Some(format!("replicas {} is not an integer", scalar(v))),
                        Some(n) if b.min.is_some_and(|m| n < m) || b.max.is_some_and(|m| n > m) => {
                            let lo = b.min.map_or("-".into(), |m| m.to_string());
                            let hi = b.max.map_or("-".into(), |m| m.to_string());
                            Some(format!("replicas {n} outside the allowed range {lo}..{hi}"))
                        }
                        Some(_) => None,
                    };
                    if let Some(msg) = msg {
                        push(param, at.clone(), Some(field), msg);
                    }
                }
            }
            for rule in &rules.required_labels {
                if !rule.kinds.is_empty() && !rule.kinds.contains(&kind) {
                    continue;
                }
                let field = Some(format!("metadata.labels.{}", rule.key));
                match obj["metadata"]["labels"][&rule.key].as_str() {
                    None => push(None, at.clone(), field, format!("required label {} is missing", rule.key)),
                    Some(v) if !rule.values.is_empty() && !rule.values.iter().any(|a| a == v) => push(
                        trace(s.params, v, &[]),
                        at.clone(),
                        field,
                        format!("label {}={v} is not allowed (allowed: {})", rule.key, rule.values.join(", ")),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subject_files() -> Vec<(String, Vec<Value>)> {
        vec![(
            "c.yaml".into(),
            vec![
                json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
                    "metadata": {"name": "dev", "namespace": "ns", "labels": {"env": "qa"}}, "spec": {}}),
                json!({"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "AWSManagedControlPlane",
                    "metadata": {"name": "dev-cp", "namespace": "ns"}, "spec": {"region": "us-east-1", "version": "v1.31"}}),
                json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachinePool",
                    "metadata": {"name": "dev-pool", "namespace": "ns"}, "spec": {"replicas": 12}}),
            ],
        )]
    }

    #[test]
    fn the_config_directory_policy_applies_to_every_repository() {
        let dir = tempfile::tempdir().expect("dir");
        let work = dir.path().join("work");
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git").arg("-C").arg(&work).args(args).output().expect("git");
            assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        std::fs::create_dir_all(&work).expect("work");
        git(&["init", "-q"]);
        git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "init",
        ]);
        let head = git(&["rev-parse", "HEAD"]);
        let repo = super::super::repo::Repo::open(&work, "origin").expect("repo");
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).expect("config");
        // No policy anywhere: nothing to check.
        let none = Policy::for_write(&repo, &head, Some(&config)).expect("policy");
        assert!(none.sources.is_empty());
        std::fs::write(config.join(CONFIG_POLICY_FILE), "clusterNamePattern: \"^[a-z]+-[a-z]+$\"\n").expect("write");
        let policy = Policy::for_write(&repo, &head, Some(&config)).expect("policy");
        let params = BTreeMap::new();
        let files = subject_files();
        let v = policy.check(&Subject { cluster_name: "dev", params: &params, files: &files });
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].rule_source.ends_with("config/policy.yaml"), "{:?}", v[0]);
        std::fs::write(config.join(CONFIG_POLICY_FILE), "regions: [unclosed\n").expect("write");
        let err = Policy::for_write(&repo, &head, Some(&config)).expect_err("malformed");
        assert!(format!("{err:#}").contains("policy.yaml"), "{err:#}");
    }

    #[test]
    fn every_rule_reports_at_its_field_and_parameter() {
        let text = "kubernetesVersions: [v1.32, \"1.33\"]\nregions: [eu-west-1]\nreplicas: {min: 1, max: 10}\n\
                    requiredLabels:\n  - {key: team, kinds: [Cluster]}\n  - {key: env, values: [dev, prod], kinds: [Cluster]}\n\
                    clusterNamePattern: \"[a-z]+-[a-z]+\"\n";
        let rules = Policy::parse(POLICY_PATH, text).unwrap();
        let policy = Policy::default().with(POLICY_PATH, rules);
        let params: BTreeMap<String, String> = [
            ("CLUSTER_NAME", "dev"),
            ("AWS_REGION", "us-east-1"),
            ("KUBERNETES_VERSION", "v1.31"),
            ("NODE_COUNT", "12"),
            ("ENV", "qa"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let files = subject_files();
        let v = policy.check(&Subject { cluster_name: "dev", params: &params, files: &files });
        let got: Vec<(Option<&str>, Option<&str>)> =
            v.iter().map(|v| (v.param.as_deref(), v.field.as_deref())).collect();
        assert_eq!(
            got,
            [
                (Some("CLUSTER_NAME"), None),
                (None, Some("metadata.labels.team")),
                (Some("ENV"), Some("metadata.labels.env")),
                (Some("KUBERNETES_VERSION"), Some("spec.version")),
                (Some("AWS_REGION"), Some("spec.region")),
                (Some("NODE_COUNT"), Some("spec.replicas")),
            ],
            "{v:#?}"
        );
        assert_eq!(v[5].object.as_deref(), Some("c.yaml#MachinePool/ns/dev-pool"));
        assert!(v[5].to_string().contains("replicas 12 outside the allowed range 1..10"), "{}", v[5]);

        let ok_params = params.clone();
        let mut ok = files.clone();
        ok[0].1[0]["metadata"]["labels"] = json!({"team": "a", "env": "dev"});
        ok[0].1[1]["spec"] = json!({"region": "eu-west-1", "version": "v1.33.4"});
        ok[0].1[2]["spec"]["replicas"] = json!(3);
        let v = policy.check(&Subject { cluster_name: "dev-eu", params: &ok_params, files: &ok });
        assert!(v.is_empty(), "{v:#?}");
    }

    #[test]
    fn bad_policy_files_are_errors_naming_the_file() {
        let err = format!("{:#}", Policy::parse(POLICY_PATH, "regoins: [a]\n").unwrap_err());
        assert!(err.contains(POLICY_PATH) && err.contains("regoins"), "{err}");
        let err = format!("{:#}", Policy::parse(POLICY_PATH, "clusterNamePattern: \"(\"\n").unwrap_err());
        assert!(err.contains("not a valid regex"), "{err}");
        assert_eq!(Policy::parse(POLICY_PATH, "# empty\n").unwrap(), PolicyRules::default());
    }
}
