//! The semantic roles a [`Theme`](super::Theme) styles: what a piece of the UI *is* (`selected`, `warning`,
//! `cluster_down`), never which colour it has. Views ask for a role; themes decide how it looks.

/// What a piece of the UI is, as far as styling goes. Views ask the theme for a role, never for a colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Ordinary text and the background of the whole screen.
    Base,
    /// Secondary text: ages, namespaces, descriptions in key hints.
    Muted,
    /// Things that stand out without being a status: counts, the current context.
    Accent,
    /// Pane borders.
    Border,
    /// The border of the pane that has the focus.
    BorderFocused,
    /// Pane titles.
    Title,
    /// Table column headers.
    Header,
    /// The row or tree node under the cursor.
    Selected,
    /// Healthy: Ready=True, reconciled, Provisioned.
    Ok,
    /// On its way: reconciling, provisioning, scaling, a plan waiting.
    Progressing,
    /// Degraded but not failed: stalled retries, drift, some replicas missing.
    Warning,
    /// Failed: Ready=False with a failure reason, an error from the API.
    Error,
    /// A Flux or Terraform object with `spec.suspend: true`.
    Suspended,
    /// A Cluster API object paused (`spec.paused` or the paused annotation).
    Paused,
    /// An object with a deletion timestamp.
    Deleting,
    /// No status yet, or a status fleetdeck cannot read.
    Unknown,
    /// A context whose API server does not answer.
    ClusterDown,
    /// The badge on a context that is read-only.
    Readonly,
    /// The status bar at the bottom.
    StatusBar,
    /// Key names in the hints and help screen.
    KeyHint,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 20] = [
        Role::Base,
        Role::Muted,
        Role::Accent,
        Role::Border,
        Role::BorderFocused,
        Role::Title,
        Role::Header,
        Role::Selected,
        Role::Ok,
        Role::Progressing,
        Role::Warning,
        Role::Error,
        Role::Suspended,
        Role::Paused,
        Role::Deleting,
        Role::Unknown,
        Role::ClusterDown,
        Role::Readonly,
        Role::StatusBar,
        Role::KeyHint,
    ];

    /// The role's key in theme files: `border_focused`, `cluster_down`.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Base => "base",
            Role::Muted => "muted",
            Role::Accent => "accent",
            Role::Border => "border",
            Role::BorderFocused => "border_focused",
            Role::Title => "title",
            Role::Header => "header",
            Role::Selected => "selected",
            Role::Ok => "ok",
            Role::Progressing => "progressing",
            Role::Warning => "warning",
            Role::Error => "error",
            Role::Suspended => "suspended",
            Role::Paused => "paused",
            Role::Deleting => "deleting",
            Role::Unknown => "unknown",
            Role::ClusterDown => "cluster_down",
            Role::Readonly => "readonly",
            Role::StatusBar => "status_bar",
            Role::KeyHint => "key_hint",
        }
    }

    /// The role a theme file calls `name`.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_name(role.name()), Some(role));
            assert_eq!(Role::ALL[role as usize], role, "ALL is in declaration order");
        }
    }
}
