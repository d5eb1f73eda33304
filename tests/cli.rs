//! The `fleetdeck` binary's configuration handling, as a user meets it: exit codes and messages.
use std::process::Command;

fn fleetdeck(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetdeck"));
    cmd.env("FLEETDECK_HOME", home).env_remove("NO_COLOR").env_remove("FLEETDECK_LOG");
    cmd
}

#[test]
fn a_bad_file_on_the_command_line_exits_2_naming_file_and_line() {
    let home = tempfile::tempdir().expect("tempdir");
    for (flag, file) in [
        ("--theme-file", "theme-bad-yaml.yaml"),
        ("--theme-file", "theme-unknown-colour.yaml"),
        ("--keymap-file", "keymap-unknown-key.yaml"),
        ("--config", "config-unknown-field.yaml"),
    ] {
        let path = format!("{}/tests/fixtures/config/{file}", env!("CARGO_MANIFEST_DIR"));
        let out = fleetdeck(home.path()).args([flag, &path, "config", "check"]).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {file}: {stderr}");
        assert!(stderr.contains(&format!("{path}:")), "{file}: message names the file: {stderr}");
        let after = stderr.split(&format!("{path}:")).nth(1).unwrap_or_default();
        assert!(after.starts_with(|c: char| c.is_ascii_digit()), "{file}: message gives the line: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one clear line: {stderr}");
    }
}

#[test]
fn a_bad_user_theme_warns_and_falls_back_to_the_default() {
    let home = tempfile::tempdir().expect("tempdir");
    let themes = home.path().join("config/themes");
    std::fs::create_dir_all(&themes).expect("mkdir");
    std::fs::write(themes.join("default.yaml"), "roles:\n  ok: { fg: not-a-colour }\n").expect("write");
    let out = fleetdeck(home.path()).args(["config", "check"]).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("theme   default"), "{stdout}");
    assert!(stderr.contains("warning:") && stderr.contains("themes/default.yaml:2:"), "{stderr}");
}

#[test]
fn a_clean_setup_checks_clean_and_logs_to_the_state_dir() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = fleetdeck(home.path()).args(["config", "check"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "nothing on stderr: {}", String::from_utf8_lossy(&out.stderr));
    let logs = home.path().join("state/logs");
    assert!(logs.is_dir(), "log folder created under the state dir");
}

#[test]
fn the_cockpits_repo_flag_before_a_subcommand_is_refused_with_where_it_goes() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = fleetdeck(home.path()).args(["--repo", "/tmp", "config", "check"]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("give it after the subcommand"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one clear line: {stderr}");
}
