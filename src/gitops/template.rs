//! Cluster templates: Weave GitOps' GitOpsTemplate (`templates.weave.works`) and CAPITemplate
//! (`capi.weave.works`), a plain clusterctl-style template file, or a ClusterClass (see [`super::topology`]),
//! all read into one [`Template`]; its parameters described for a form ([`Template::params`]), a parameter
//! set checked field by field ([`Template::validate`]), and rendered into manifests ([`Template::render`]).
//!
//! Shapes follow Weave GitOps Enterprise's templates API v1alpha2 (REFERENCE.md section D):
//! `spec{description, renderType, params[]{name, description, required, options[], default},
//! resourcetemplates[]{path, content[] | raw}, charts{helmRepositoryTemplate.path, items[]}}`. As in WGE,
//! the parameters are the declared ones plus every variable the resource templates use; an inline
//! default (`${VAR:=x}`) makes a variable optional. `renderType: templating` (Go text/template) is refused
//! with a message saying so.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::envsubst::{self, EnvsubstError};
use super::yaml;

/// Label WGE puts on every object rendered from a template: the template's name.
pub const TEMPLATE_NAME_LABEL: &str = "templates.weave.works/template-name";
/// Label WGE puts on every object rendered from a template: the template's namespace.
pub const TEMPLATE_NAMESPACE_LABEL: &str = "templates.weave.works/template-namespace";
/// Template annotation asking for `kustomize.toolkit.fluxcd.io/prune: disabled` on rendered objects.
pub const INJECT_PRUNE_ANNOTATION: &str = "templates.weave.works/inject-prune-annotation";
/// WGE's default folder for rendered cluster manifests (its Helm value `capiRepositoryPath`).
pub const DEFAULT_CAPI_REPOSITORY_PATH: &str = "clusters/management/clusters";

/// Where a template was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum TemplateSource {
    /// An object in a cluster, read through kubeconfig context `context`.
    Cluster { context: String },
    /// A file in the GitOps repository (under `templates/`), at the base branch.
    Repository { path: String },
    /// A file given on the command line.
    File { path: String },
}

/// A parameter as a form shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParamSpec {
    /// Variable name, e.g. `CLUSTER_NAME`.
    pub name: String,
    /// Help text from the template (empty when the variable is only used, not declared).
    pub description: String,
    /// Whether a value must be given: declared `required` (WGE's default true) and no default anywhere.
    pub required: bool,
    /// The allowed values, when the template restricts them.
    pub options: Vec<String>,
    /// The value used when none is given (declared default, else the inline `${VAR:=default}` one).
    pub default: Option<String>,
}

/// A per-field problem with a parameter set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The parameter's name.
    pub param: String,
    /// What is wrong, for people.
    pub message: String,
}

/// One chart a template offers (`spec.charts.items[]`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartItem {
    /// Chart name in the profile HelmRepository.
    pub chart: String,
    /// Chart version (a semver range is allowed by Flux).
    pub version: String,
    /// Namespace the release installs into.
    pub target_namespace: Option<String>,
    /// Layer name; layers install in name order, each after the previous one.
    pub layer: Option<String>,
    /// Installed with every cluster made from the template.
    pub required: bool,
    /// Helm values (YAML text).
    pub values: String,
}

/// One `resourcetemplates[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceTemplate {
    /// Path in the repository (may hold placeholders); `None`: the default cluster path.
    pub path: Option<String>,
    /// `content[]` objects (substituted as trees) or raw text (substituted as text, then parsed).
    pub body: Body,
}

/// The manifests of a resource template.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `content[]`: one JSON object per manifest.
    Objects(Vec<Value>),
    /// `raw` text or a plain template file.
    Raw(String),
}

/// A cluster template, whatever it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `GitOpsTemplate`, `CAPITemplate`, `ClusterClass` or `File`.
    pub kind: String,
    /// Namespace of the template object (`""` for files).
    pub namespace: String,
    /// Name of the template object (the file stem for files).
    pub name: String,
    /// Where it was found.
    pub source: TemplateSource,
    /// `spec.description`.
    pub description: String,
    /// `spec.renderType` (`envsubst` when absent).
    pub render_type: String,
    /// `spec.params[]` as declared.
    pub declared: Vec<ParamSpec>,
    /// `spec.resourcetemplates[]`.
    pub resources: Vec<ResourceTemplate>,
    /// `spec.charts.items[]`.
    pub charts: Vec<ChartItem>,
    /// `spec.charts.helmRepositoryTemplate.path` (placeholders allowed).
    pub profiles_path: Option<String>,
    /// The template object's annotations.
    pub annotations: BTreeMap<String, String>,
}

/// A rendered file: a path and its manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedFile {
    /// Path in the repository, relative, `/`-separated.
    pub path: String,
    /// The manifests, in template order.
    pub objects: Vec<Value>,
}

/// What a template renders to.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Namespace of the cluster (its `Cluster` object's, else the `NAMESPACE` parameter, else `default`).
    pub cluster_namespace: String,
    /// Name of the cluster (its `Cluster` object's, else the `CLUSTER_NAME` parameter).
    pub cluster_name: String,
    /// The manifest files, in template order.
    pub files: Vec<RenderedFile>,
    /// The values used, defaults filled in.
    pub values: BTreeMap<String, String>,
}

/// Why a template cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// `renderType` other than envsubst.
    #[error(
        "template {0} uses renderType {1:?}, which fleetdeck does not render (only envsubst: ${{VAR}}, ${{VAR:=default}}); \
         rewrite it with envsubst placeholders or render it with Weave GitOps"
    )]
    UnsupportedRenderType(String, String),
    /// Parameter problems, per field.
    #[error("invalid parameters: {}", .0.iter().map(|e| format!("{}: {}", e.param, e.message)).collect::<Vec<_>>().join("; "))]
    Params(Vec<FieldError>),
    /// A placeholder problem in the template itself.
    #[error("template {template}: {error}")]
    Envsubst { template: String, error: EnvsubstError },
    /// Anything else (unparseable raw YAML, no cluster name).
    #[error("template {template}: {message}")]
    Other { template: String, message: String },
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Template {
    /// Reads a GitOpsTemplate or CAPITemplate object (as JSON) found at `source`.
    ///
    /// # Errors
    /// A message naming the field that has the wrong shape.
    pub fn from_object(obj: &Value, source: TemplateSource) -> Result<Template, String> {
        let kind = obj["kind"].as_str().unwrap_or_default().to_owned();
        let name = obj["metadata"]["name"].as_str().ok_or("metadata.name missing")?.to_owned();
        let namespace = obj["metadata"]["namespace"].as_str().unwrap_or("default").to_owned();
        let spec = &obj["spec"];
        let mut declared = Vec::new();
        for (i, p) in spec["params"].as_array().into_iter().flatten().enumerate() {
            let pname = p["name"].as_str().ok_or(format!("spec.params[{i}].name missing"))?;
            declared.push(ParamSpec {
                name: pname.to_owned(),
                description: p["description"].as_str().unwrap_or_default().to_owned(),
                required: p["required"].as_bool().unwrap_or(true),
                options: p["options"].as_array().into_iter().flatten().filter_map(str_of).collect(),
                default: str_of(&p["default"]),
            });
        }
        let mut resources = Vec::new();
        for (i, r) in spec["resourcetemplates"].as_array().into_iter().flatten().enumerate() {
            let path = r["path"].as_str().filter(|p| !p.is_empty()).map(str::to_owned);
            let body = if let Some(raw) = r["raw"].as_str() {
                Body::Raw(raw.to_owned())
            } else {
                let content =
                    r["content"].as_array().ok_or(format!("spec.resourcetemplates[{i}]: no content or raw"))?;
                Body::Objects(content.clone())
            };
            resources.push(ResourceTemplate { path, body });
        }
        let mut charts = Vec::new();
        for (i, c) in spec["charts"]["items"].as_array().into_iter().flatten().enumerate() {
            charts.push(ChartItem {
                chart: c["chart"].as_str().ok_or(format!("spec.charts.items[{i}].chart missing"))?.to_owned(),
                version: str_of(&c["version"]).unwrap_or_default(),
                target_namespace: c["targetNamespace"].as_str().map(str::to_owned),
                layer: c["layer"].as_str().map(str::to_owned),
                required: c["required"].as_bool().unwrap_or(false),
                values: c["values"]["content"].as_str().unwrap_or_default().to_owned(),
            });
        }
        let annotations = obj["metadata"]["annotations"]
            .as_object()
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
            .unwrap_or_default();
        Ok(Template {
            kind,
            namespace,
            name,
            source,
            description: spec["description"].as_str().unwrap_or_default().to_owned(),
            render_type: spec["renderType"].as_str().unwrap_or("envsubst").to_owned(),
            declared,
            resources,
            charts,
            profiles_path: spec["charts"]["helmRepositoryTemplate"]["path"].as_str().map(str::to_owned),
            annotations,
        })
    }

    /// A plain template file (clusterctl's `cluster-template.yaml` style): its text is the one resource
    /// template, its variables the parameters.
    pub fn from_plain_file(name: &str, text: &str, source: TemplateSource) -> Template {
        Template {
            kind: "File".into(),
            namespace: String::new(),
            name: name.to_owned(),
            source,
            description: String::new(),
            render_type: "envsubst".into(),
            declared: Vec::new(),
            resources: vec![ResourceTemplate { path: None, body: Body::Raw(text.to_owned()) }],
            charts: Vec::new(),
            profiles_path: None,
            annotations: BTreeMap::new(),
        }
    }

    /// `namespace/name` (or the name alone for files).
    pub fn id(&self) -> String {
        if self.namespace.is_empty() { self.name.clone() } else { format!("{}/{}", self.namespace, self.name) }
    }

    /// Every variable the resource templates (and their paths) use.
    ///
    /// # Errors
    /// A malformed placeholder.
    pub fn variables(&self) -> Result<Vec<envsubst::VarUse>, EnvsubstError> {
        let mut texts: Vec<String> = Vec::new();
        for r in &self.resources {
            texts.extend(r.path.clone());
            match &r.body {
                Body::Raw(t) => texts.push(t.clone()),
                Body::Objects(objs) => texts.extend(objs.iter().map(Value::to_string)),
            }
        }
        texts.extend(self.profiles_path.clone());
        let mut out: Vec<envsubst::VarUse> = Vec::new();
        for t in texts {
            for u in envsubst::variables(&t)? {
                match out.iter_mut().find(|o| o.name == u.name) {
                    Some(o) if o.default.is_none() => o.default = u.default,
                    Some(_) => {}
                    None => out.push(u),
                }
            }
        }
        Ok(out)
    }

    /// The parameters a form shows: declared ones in order, then undeclared variables in order of use.
    /// (A malformed placeholder shows up in [`Self::render`]; here it only hides undeclared variables.)
    pub fn params(&self) -> Vec<ParamSpec> {
        let used = self.variables().unwrap_or_default();
        let mut out: Vec<ParamSpec> = self.declared.clone();
        for p in &mut out {
            if p.default.is_none() {
                p.default = used.iter().find(|u| u.name == p.name).and_then(|u| u.default.clone());
            }
            p.required = p.required && p.default.is_none();
        }
        for u in used {
            if !out.iter().any(|p| p.name == u.name) {
                out.push(ParamSpec {
                    name: u.name.clone(),
                    description: String::new(),
                    required: u.default.is_none(),
                    options: Vec::new(),
                    default: u.default.clone(),
                });
            }
        }
        out
    }

    /// Checks a parameter set, field by field: unknown names, missing required values, values outside
    /// `options`, and names that must be DNS-1123 labels (`CLUSTER_NAME`, `NAMESPACE`). Empty when valid.
    pub fn validate(&self, values: &BTreeMap<String, String>) -> Vec<FieldError> {
        let params = self.params();
        let mut errors = Vec::new();
        for name in values.keys() {
            if !params.iter().any(|p| &p.name == name) {
                let known: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                errors.push(FieldError {
                    param: name.clone(),
                    message: format!("template {} has no parameter {name} (it has {})", self.id(), known.join(", ")),
                });
            }
        }
        for p in &params {
            let value = values.get(&p.name).or(p.default.as_ref());
            match value {
                None => {
                    if p.required {
                        errors.push(FieldError { param: p.name.clone(), message: "required".into() });
                    }
                }
                Some(v) if v.is_empty() && p.required => {
                    errors.push(FieldError { param: p.name.clone(), message: "required, must not be empty".into() });
                }
                Some(v) => {
                    if !p.options.is_empty() && !p.options.contains(v) {
                        errors.push(FieldError {
                            param: p.name.clone(),
                            message: format!("{v:?} is not one of {}", p.options.join(", ")),
                        });
                    } else if (p.name == "CLUSTER_NAME" || p.name == "NAMESPACE") && !is_dns_label(v) {
                        errors.push(FieldError {
                            param: p.name.clone(),
                            message: format!(
                                "{v:?} is not a valid name: lowercase letters, digits and '-', starting and ending \
                                 with a letter or digit, at most 63 characters (RFC 1123)"
                            ),
                        });
                    }
                }
            }
        }
        errors
    }

    /// The values to substitute: given ones, then declared defaults.
    pub fn resolve(&self, values: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = values.clone();
        for p in &self.declared {
            if let (false, Some(d)) = (out.contains_key(&p.name), &p.default) {
                out.insert(p.name.clone(), d.clone());
            }
        }
        out
    }

    /// Renders the manifests: validates `values`, substitutes every resource template, labels each object
    /// with the template's name and namespace (and the prune annotation when the template asks), and
    /// places each resource template at its `path` or at `<capi_path>/<namespace>/<name>.yaml`.
    ///
    /// # Errors
    /// [`RenderError`]: unsupported renderType, invalid parameters, a malformed template.
    pub fn render(&self, values: &BTreeMap<String, String>, capi_path: &str) -> Result<Rendered, RenderError> {
        if self.render_type != "envsubst" {
            return Err(RenderError::UnsupportedRenderType(self.id(), self.render_type.clone()));
        }
        let errors = self.validate(values);
        if !errors.is_empty() {
            return Err(RenderError::Params(errors));
        }
        let resolved = self.resolve(values);
        let lookup = |name: &str| resolved.get(name).cloned();
        let env_err = |error| RenderError::Envsubst { template: self.id(), error };
        let mut placed: Vec<(Option<String>, Vec<Value>)> = Vec::new();
        for r in &self.resources {
            let mut objects = match &r.body {
                Body::Objects(objs) => objs
                    .iter()
                    .map(|o| envsubst::substitute_value(o, &lookup))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(env_err)?,
                Body::Raw(text) => {
                    let text = envsubst::substitute(text, &lookup).map_err(env_err)?;
                    yaml::parse_docs(&text, "the rendered template")
                        .map_err(|e| RenderError::Other { template: self.id(), message: format!("{e:#}") })?
                }
            };
            for o in &mut objects {
                self.label(o);
            }
            let path = r.path.as_deref().map(|p| envsubst::substitute(p, &lookup)).transpose().map_err(env_err)?;
            placed.push((path, objects));
        }
        let cluster = placed.iter().flat_map(|(_, o)| o).find(|o| {
            let (group, kind, _, _) = yaml::object_key(o);
            group == "cluster.x-k8s.io" && kind == "Cluster"
        });
        let cluster_name = cluster
            .and_then(|c| c["metadata"]["name"].as_str().map(str::to_owned))
            .or_else(|| resolved.get("CLUSTER_NAME").cloned())
            .ok_or_else(|| RenderError::Other {
                template: self.id(),
                message: "renders no Cluster and has no CLUSTER_NAME parameter: cannot name the cluster".into(),
            })?;
        let cluster_namespace = cluster
            .and_then(|c| c["metadata"]["namespace"].as_str().map(str::to_owned))
            .or_else(|| resolved.get("NAMESPACE").cloned())
            .unwrap_or_else(|| "default".into());
        let default_path = format!("{}/{cluster_namespace}/{cluster_name}.yaml", capi_path.trim_end_matches('/'));
        let mut files: Vec<RenderedFile> = Vec::new();
        for (path, objects) in placed {
            let path = normalize_path(&path.unwrap_or_else(|| default_path.clone()));
            match files.iter_mut().find(|f| f.path == path) {
                Some(f) => f.objects.extend(objects),
                None => files.push(RenderedFile { path, objects }),
            }
        }
        Ok(Rendered { cluster_namespace, cluster_name, files, values: resolved })
    }

    fn label(&self, obj: &mut Value) {
        if !obj.is_object() {
            return;
        }
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        let meta = &mut obj["metadata"];
        if self.kind == "GitOpsTemplate" || self.kind == "CAPITemplate" {
            if !meta["labels"].is_object() {
                meta["labels"] = json!({});
            }
            meta["labels"][TEMPLATE_NAME_LABEL] = json!(self.name);
            meta["labels"][TEMPLATE_NAMESPACE_LABEL] = json!(self.namespace);
        }
        let kind = obj["kind"].as_str().unwrap_or_default();
        let inject = self.annotations.get(INJECT_PRUNE_ANNOTATION).is_some_and(|v| v == "true");
        if inject && kind != "Cluster" && kind != "GitopsCluster" {
            let meta = &mut obj["metadata"];
            if !meta["annotations"].is_object() {
                meta["annotations"] = json!({});
            }
            meta["annotations"]["kustomize.toolkit.fluxcd.io/prune"] = json!("disabled");
        }
    }
}

/// `./a//b/` -> `a/b`.
pub fn normalize_path(path: &str) -> String {
    path.split('/').filter(|s| !s.is_empty() && *s != ".").collect::<Vec<_>>().join("/")
}

/// RFC 1123 label: what Kubernetes requires of namespace names (and CAPI of cluster names).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
