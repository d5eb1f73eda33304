//! The parameter form of the create wizard: one field per template parameter ([`Template::params`]) — a
//! ratatui-textarea [`TextArea`] for free text, a picker for parameters with `options` — checked on every
//! change: [`Template::validate`] per field, then [`create::render`] and [`create::check_policy`], whose
//! violations are shown at the field they came from (or under the form when they name no parameter).
//!
//! The claim wizard uses the same form over a Crossplane XRD's schema ([`Form::claim`]): `metadata.name`,
//! `metadata.namespace` (when namespaced), `composition`, then one field per `spec.` path of
//! [`ClaimForm`], enums and booleans as pickers; checked by [`ClaimForm::render`] and the policy.
use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::TextArea;
use serde_json::Value;

use crate::gitops::claim::{self, ClaimForm, DEFAULT_CLAIMS_PATH, FieldKind};
use crate::gitops::create::{self, CreateRequest, Created};
use crate::gitops::policy::{Policy, Subject, Violation};
use crate::gitops::template::{
    DEFAULT_CAPI_REPOSITORY_PATH, FieldError, ParamSpec, Rendered, RenderedFile, Template, TemplateSource,
};

/// How a field is edited.
#[derive(Debug, Clone)]
pub enum Input {
    /// Free text (one line).
    Text(Box<TextArea<'static>>),
    /// One of the parameter's `options`; `None` until chosen (then the default, if any, applies).
    Choice {
        /// The allowed values.
        options: Vec<String>,
        /// The chosen one.
        selected: Option<usize>,
    },
}

/// One form field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The parameter.
    pub spec: ParamSpec,
    /// Its editor.
    pub input: Input,
}

/// What a form fills in.
#[derive(Debug, Clone)]
pub enum Source {
    /// A cluster template (the create wizard).
    Template,
    /// A Crossplane claim or namespaced XR from an XRD's schema (the claim wizard).
    Claim(Box<ClaimForm>),
}

/// The form and what the last check found.
#[derive(Debug, Clone)]
pub struct Form {
    /// The template being filled in (for a claim: a stand-in naming the XRD, for the screen's title).
    pub template: Template,
    /// What the form fills in.
    pub source: Source,
    /// The profile HelmRepository charts are written from, if the fleet has one.
    pub profile_repository: Option<Value>,
    /// The fields, in [`Template::params`] order.
    pub fields: Vec<Field>,
    /// The field with the cursor.
    pub focus: usize,
    /// Per-field problems of the values ([`Template::validate`]).
    pub errors: Vec<FieldError>,
    /// Policy violations of the rendered files.
    pub violations: Vec<Violation>,
    /// The files, when the values render.
    pub created: Option<Created>,
    /// Why the values do not render, when that is not a field's fault.
    pub problem: Option<String>,
}

/// What a key did to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    /// Nothing (the key means nothing here).
    Ignored,
    /// The form changed (focus or a value); already re-checked.
    Changed,
}

fn text_field(spec: &ParamSpec) -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(Style::default());
    let hint = match (&spec.default, spec.required) {
        (Some(d), _) => format!("{d} (default)"),
        (None, true) => "required".to_owned(),
        (None, false) => "optional".to_owned(),
    };
    t.set_placeholder_text(hint);
    t
}

/// The editor of a parameter: a picker when it has options (its default chosen when `preselect`), else a
/// text field.
fn field(spec: ParamSpec, preselect: bool) -> Field {
    let input = if spec.options.is_empty() {
        Input::Text(Box::new(text_field(&spec)))
    } else {
        let selected =
            spec.default.as_ref().filter(|_| preselect).and_then(|d| spec.options.iter().position(|o| o == d));
        Input::Choice { options: spec.options.clone(), selected }
    };
    Field { spec, input }
}

impl Form {
    /// The form of `template`, every field empty (defaults apply), checked once against `policy`.
    pub fn new(template: Template, profile_repository: Option<Value>, policy: &Policy) -> Form {
        let fields = template.params().into_iter().map(|spec| field(spec, true)).collect();
        Form::build(template, Source::Template, profile_repository, fields, policy)
    }

    /// A form of `fields`, focus on the first, checked once against `policy`.
    fn build(
        template: Template,
        source: Source,
        profile_repository: Option<Value>,
        fields: Vec<Field>,
        policy: &Policy,
    ) -> Form {
        let mut form = Form {
            template,
            source,
            profile_repository,
            fields,
            focus: 0,
            errors: Vec::new(),
            violations: Vec::new(),
            created: None,
            problem: None,
        };
        form.restyle();
        form.check(policy);
        form
    }

    /// The claim form of `xrd_form`: the object's name and namespace, its Composition, then the XRD's `spec`
    /// fields; checked once against `policy`.
    pub fn claim(xrd_form: ClaimForm, policy: &Policy) -> Form {
        let what = if xrd_form.claim { "claim" } else { "composite resource" };
        let mut specs = vec![ParamSpec {
            name: "metadata.name".into(),
            description: format!("name of the {what}"),
            required: true,
            options: Vec::new(),
            default: None,
        }];
        if xrd_form.namespaced {
            specs.push(ParamSpec {
                name: "metadata.namespace".into(),
                description: "its namespace".into(),
                required: true,
                options: Vec::new(),
                default: Some("default".into()),
            });
        }
        specs.push(ParamSpec {
            name: "composition".into(),
            description: "the Composition to use (compositionRef; empty: the XRD's default)".into(),
            required: false,
            options: Vec::new(),
            default: None,
        });
        for f in &xrd_form.fields {
            let (options, note) = match &f.kind {
                FieldKind::Enum { options } => (options.clone(), String::new()),
                FieldKind::Boolean => (vec!["true".into(), "false".into()], String::new()),
                FieldKind::Raw { why } => (Vec::new(), format!(" (YAML: {why})")),
                FieldKind::Integer => (Vec::new(), " (integer)".into()),
                FieldKind::Number => (Vec::new(), " (number)".into()),
                FieldKind::String => (Vec::new(), String::new()),
            };
            specs.push(ParamSpec {
                name: format!("spec.{}", f.path),
                description: format!("{}{note}", f.description.lines().next().unwrap_or_default()),
                required: f.required && f.default.is_none(),
                options,
                default: f.default.clone(),
            });
        }
        // Pickers start unchosen: a default is the API server's to apply, not written.
        let fields = specs.into_iter().map(|spec| field(spec, false)).collect();
        let template = Template {
            kind: xrd_form.kind.clone(),
            namespace: String::new(),
            name: xrd_form.xrd.clone(),
            source: TemplateSource::File { path: String::new() },
            description: format!("from XRD {}", xrd_form.xrd),
            render_type: String::new(),
            declared: Vec::new(),
            resources: Vec::new(),
            charts: Vec::new(),
            profiles_path: None,
            annotations: Default::default(),
        };
        Form::build(template, Source::Claim(Box::new(xrd_form)), None, fields, policy)
    }

    /// The values given: non-empty text (trimmed) and chosen options. Parameters left empty get their
    /// default when rendered.
    pub fn values(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for f in &self.fields {
            let value = match &f.input {
                Input::Text(t) => Some(t.lines().join("").trim().to_owned()).filter(|v| !v.is_empty()),
                Input::Choice { options, selected } => selected.and_then(|i| options.get(i).cloned()),
            };
            if let Some(v) = value {
                out.insert(f.spec.name.clone(), v);
            }
        }
        out
    }

    /// Re-checks the values: field errors, then (when there are none) the rendered files and the policy.
    pub fn check(&mut self, policy: &Policy) {
        if let Source::Claim(xrd_form) = &self.source {
            let xrd_form = xrd_form.clone();
            return self.check_claim(&xrd_form, policy);
        }
        let values = self.values();
        self.errors = self.template.validate(&values);
        self.created = None;
        self.problem = None;
        self.violations.clear();
        if !self.errors.is_empty() {
            return;
        }
        let req = CreateRequest {
            template: &self.template,
            values,
            capi_path: DEFAULT_CAPI_REPOSITORY_PATH.into(),
            profile_repository: self.profile_repository.clone(),
            extra_profiles: Vec::new(),
        };
        match create::render(&req) {
            Ok(created) => {
                self.violations = create::check_policy(policy, &created);
                self.created = Some(created);
            }
            Err(e) => self.problem = Some(e.to_string()),
        }
    }

    /// The claim form's check: [`ClaimForm::render`] (errors at `metadata.name`, `metadata.namespace` and the
    /// `spec.` fields), the file ([`claim::commit`]) and the policy.
    fn check_claim(&mut self, xrd_form: &ClaimForm, policy: &Policy) {
        let values = self.values();
        self.created = None;
        self.problem = None;
        self.violations.clear();
        let name = values.get("metadata.name").cloned().unwrap_or_default();
        let namespace = values.get("metadata.namespace").cloned().unwrap_or_else(|| "default".into());
        let spec: BTreeMap<String, String> =
            values.iter().filter_map(|(k, v)| Some((k.strip_prefix("spec.")?.to_string(), v.clone()))).collect();
        let rendered = xrd_form.render(&name, &namespace, &spec, values.get("composition").map(String::as_str));
        self.errors = match rendered {
            Ok(object) => {
                match claim::commit(object.clone(), DEFAULT_CLAIMS_PATH) {
                    Ok(c) => {
                        let files = vec![(c.file.path.clone(), vec![object.clone()])];
                        self.violations = policy.check(&Subject { cluster_name: "", params: &values, files: &files });
                        self.created = Some(Created {
                            rendered: Rendered {
                                cluster_namespace: if xrd_form.namespaced { namespace } else { String::new() },
                                cluster_name: name,
                                files: vec![RenderedFile { path: c.file.path.clone(), objects: vec![object] }],
                                values: values.clone(),
                            },
                            files: vec![(c.file.clone(), files.into_iter().flat_map(|(_, o)| o).collect())],
                            branch: c.branch,
                            message: c.message,
                            notes: Vec::new(),
                        });
                    }
                    Err(e) => self.problem = Some(e),
                }
                Vec::new()
            }
            Err(errors) => errors
                .into_iter()
                .map(|e| FieldError {
                    param: match e.param.as_str() {
                        "name" => "metadata.name".into(),
                        "namespace" => "metadata.namespace".into(),
                        p => format!("spec.{p}"),
                    },
                    message: e.message,
                })
                .collect(),
        };
    }

    /// What is wrong with parameter `name`: its validation errors and the policy violations traced to it.
    pub fn problems_of(&self, name: &str) -> Vec<String> {
        let errors = self.errors.iter().filter(|e| e.param == name).map(|e| e.message.clone());
        let violations = self.violations.iter().filter(|v| v.param.as_deref() == Some(name)).map(|v| {
            let at = v.field.as_ref().map(|f| format!(" ({f})")).unwrap_or_default();
            format!("policy: {}{at}", v.message)
        });
        errors.chain(violations).collect()
    }

    /// Whether the values render without field errors (policy violations may remain: the preview shows
    /// them and refuses the write).
    pub fn renders(&self) -> bool {
        self.errors.is_empty() && self.created.is_some()
    }

    /// Handles a key: `tab` / `down` next field, `shift-tab` / `up` previous, `left` / `right` (or
    /// `space`) choose among options, anything else edits the text field. Enter and esc belong to the
    /// wizard.
    pub fn key(&mut self, ev: &KeyEvent, policy: &Policy) -> FormKey {
        let n = self.fields.len();
        if n == 0 {
            return FormKey::Ignored;
        }
        match ev.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + n - 1) % n,
            _ => {
                let changed = match &mut self.fields[self.focus].input {
                    Input::Choice { options, selected } => choose(options.len(), selected, ev),
                    Input::Text(t) => edit(t, ev),
                };
                if !changed {
                    return FormKey::Ignored;
                }
                self.check(policy);
                return FormKey::Changed;
            }
        }
        self.restyle();
        FormKey::Changed
    }

    /// Shows the cursor in the focused text field only.
    fn restyle(&mut self) {
        for (i, f) in self.fields.iter_mut().enumerate() {
            if let Input::Text(t) = &mut f.input {
                let style =
                    if i == self.focus { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
                t.set_cursor_style(style);
            }
        }
    }
}

fn choose(len: usize, selected: &mut Option<usize>, ev: &KeyEvent) -> bool {
    if len == 0 {
        return false;
    }
    *selected = match (ev.code, *selected) {
        (KeyCode::Right | KeyCode::Char(' '), None) => Some(0),
        (KeyCode::Right | KeyCode::Char(' '), Some(i)) => Some((i + 1) % len),
        (KeyCode::Left, None) => Some(len - 1),
        (KeyCode::Left, Some(i)) => Some((i + len - 1) % len),
        _ => return false,
    };
    true
}

/// Edits a one-line text field with ratatui-textarea's keys; keys that would add a line are refused.
fn edit(t: &mut TextArea<'static>, ev: &KeyEvent) -> bool {
    let newline = matches!(ev.code, KeyCode::Enter)
        || (ev.modifiers.contains(KeyModifiers::CONTROL) && matches!(ev.code, KeyCode::Char('m' | 'j')));
    if newline {
        return false;
    }
    let before = t.lines().to_vec();
    t.input(*ev);
    if t.lines().len() > 1 {
        // A paste with newlines: keep it on one line.
        let joined = t.lines().join("");
        let (placeholder, cursor) = (t.placeholder_text().to_owned(), t.cursor_style());
        *t = TextArea::new(vec![joined]);
        t.set_cursor_line_style(Style::default());
        t.set_placeholder_text(placeholder);
        t.set_cursor_style(cursor);
        t.move_cursor(ratatui_textarea::CursorMove::End);
    }
    t.lines() != before.as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::template::TemplateSource;

    fn template() -> Template {
        let input = crate::demo::seed::SeedInput {
            now: "2026-11-21T10:00:00Z".parse().expect("time"),
            workload_kubeconfigs: Default::default(),
        };
        let seed = crate::demo::seed::demo_fleet(&input);
        let obj = seed.contexts["mgmt"].iter().find(|o| o["metadata"]["name"] == "aws-eks-cluster").expect("template");
        Template::from_object(obj, TemplateSource::Cluster { context: "mgmt".into() }).expect("parses")
    }

    fn press(form: &mut Form, code: KeyCode, policy: &Policy) -> FormKey {
        form.key(&KeyEvent::new(code, KeyModifiers::NONE), policy)
    }

    fn type_text(form: &mut Form, text: &str, policy: &Policy) {
        for c in text.chars() {
            press(form, KeyCode::Char(c), policy);
        }
    }

    #[test]
    fn fields_validate_as_typed_and_policy_violations_land_at_their_field() {
        let rules = Policy::parse("policy.yaml", "regions: [eu-central-1]\n").expect("policy");
        let policy = Policy::default().with("policy.yaml", rules);
        let mut form = Form::new(template(), None, &policy);
        let names: Vec<&str> = form.fields.iter().map(|f| f.spec.name.as_str()).collect();
        assert_eq!(names[..3], ["CLUSTER_NAME", "NAMESPACE", "AWS_REGION"]);
        assert!(matches!(form.fields[2].input, Input::Choice { selected: None, .. }));
        assert!(matches!(form.fields[3].input, Input::Choice { selected: Some(1), .. }), "default v1.32 chosen");
        assert_eq!(form.problems_of("CLUSTER_NAME"), ["required"]);
        assert!(!form.renders());

        type_text(&mut form, "Bad_Name", &policy);
        assert!(form.problems_of("CLUSTER_NAME")[0].contains("not a valid name"), "{:?}", form.errors);
        for _ in 0.."Bad_Name".len() {
            press(&mut form, KeyCode::Backspace, &policy);
        }
        type_text(&mut form, "tui-new", &policy);
        assert!(form.problems_of("CLUSTER_NAME").is_empty());
        // Enter never adds a line to a one-line field.
        assert_eq!(press(&mut form, KeyCode::Enter, &policy), FormKey::Ignored);
        assert_eq!(form.values()["CLUSTER_NAME"], "tui-new");

        press(&mut form, KeyCode::Tab, &policy);
        press(&mut form, KeyCode::Tab, &policy);
        assert_eq!(form.focus, 2);
        press(&mut form, KeyCode::Right, &policy);
        assert_eq!(form.values()["AWS_REGION"], "eu-west-1");
        assert!(form.renders());
        let at_region = form.problems_of("AWS_REGION");
        assert!(at_region.len() == 1 && at_region[0].contains("region eu-west-1 is not allowed"), "{at_region:?}");
        press(&mut form, KeyCode::Right, &policy);
        assert_eq!(form.values()["AWS_REGION"], "eu-central-1");
        assert!(form.violations.is_empty(), "{:?}", form.violations);
        let paths: Vec<String> =
            form.created.as_ref().expect("rendered").files.iter().map(|f| f.0.path.clone()).collect();
        assert!(paths.contains(&"clusters/management/clusters/team-data/tui-new.yaml".to_owned()), "{paths:?}");
        // Up from the first field wraps to the last.
        press(&mut form, KeyCode::Up, &policy);
        press(&mut form, KeyCode::Up, &policy);
        press(&mut form, KeyCode::Up, &policy);
        assert_eq!(form.focus, form.fields.len() - 1);
    }
}
