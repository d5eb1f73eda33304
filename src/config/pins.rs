//! The pins file, `<state_dir>/pins.json` (`model::pins` holds its shape): read by the cockpit at start and by
//! `fleetdeck contexts`, written by the cockpit whenever a pin changes.
//!
//! A missing file is no pins. A file that does not parse is an error naming the file, line and column; the
//! cockpit then refuses to pin rather than overwrite it. Writes go to a temporary file in the same folder,
//! renamed over the old one, so a crash mid-write leaves the previous pins.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::pins::Pins;

use super::Paths;

/// The file's name in the state directory.
pub const FILE: &str = "pins.json";

/// `<state_dir>/pins.json`.
pub fn path(paths: &Paths) -> PathBuf {
    paths.state_dir.join(FILE)
}

/// The pins in `path`; none when it does not exist.
///
/// # Errors
/// `<path>: <what>` when it cannot be read or is not a pins file (with line and column).
pub fn load(path: &Path) -> Result<Pins, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Pins::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pins::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes `pins` to `path` (creating its folder), through a temporary file renamed over it.
///
/// # Errors
/// `<path>: <what>` when the folder cannot be created or the file written.
pub fn save(path: &Path, pins: &Pins) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(pins.to_text().as_bytes()).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::KindId;
    use crate::model::object_ref::ObjectRef;

    #[test]
    fn missing_is_empty_saved_reads_back_and_garbage_is_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("state/pins.json");
        assert_eq!(load(&file), Ok(Pins::default()));
        let mut pins = Pins::default();
        pins.toggle(&ObjectRef::new("prod-us", KindId::KUSTOMIZATION, "flux-system", "apps"));
        save(&file, &pins).expect("saved");
        assert_eq!(load(&file), Ok(pins));
        std::fs::write(&file, "{\"contexts\": 3}").expect("write");
        let err = load(&file).unwrap_err();
        assert!(err.starts_with(&format!("{}: ", file.display())) && err.contains("line 1"), "{err}");
    }
}
