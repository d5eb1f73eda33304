//! Plain-text tables for the headless commands: left-aligned columns separated by two spaces, trailing spaces
//! trimmed, as `helm history` and `kubectl get` print them.

/// The rows (the first is usually the header) as aligned text, one line each.
pub fn columns(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..n).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            let line: String = r.iter().enumerate().map(|(i, c)| format!("{c:<w$}  ", w = widths[i])).collect();
            format!("{}\n", line.trim_end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligned_and_trimmed() {
        let rows = vec![vec!["A".to_string(), "LONG".into()], vec!["wide".into(), "b".into()]];
        assert_eq!(super::columns(&rows), "A     LONG\nwide  b\n");
    }
}
