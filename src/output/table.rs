//! Plain-text tables fitted to the terminal width: the widest column is truncated first.

/// Column headers plus rows of cells.
#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Display width, ignoring ANSI escapes.
fn width(s: &str) -> usize {
    console::measure_text_width(s)
}

fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    console::truncate_str(s, max, "…").into_owned()
}

impl Table {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(headers: I) -> Self {
        Self { headers: headers.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, cells: I) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Render within `max_width` columns; headers in SCREAMING_SNAKE like `hf`.
    pub fn render(&self, max_width: usize) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        let sep = 2;
        let total = |w: &[usize]| w.iter().sum::<usize>() + sep * w.len().saturating_sub(1);
        while total(&widths) > max_width {
            let (i, w) = widths.iter().enumerate().max_by_key(|(_, w)| **w).map(|(i, w)| (i, *w)).unwrap_or((0, 0));
            if w <= 8 {
                break;
            }
            widths[i] = (w - (total(&widths) - max_width)).max(8);
        }
        let mut out = String::new();
        let line = |cells: &[String], out: &mut String| {
            let mut parts = Vec::new();
            for (i, w) in widths.iter().enumerate() {
                let c = truncate(cells.get(i).map_or("", String::as_str), *w);
                let pad = w.saturating_sub(width(&c));
                parts.push(if i + 1 == n { c } else { format!("{c}{}", " ".repeat(pad)) });
            }
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        line(&self.headers, &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_and_truncates() {
        let mut t = Table::new(["ID", "SIZE"]);
        t.row(["org/a-very-long-repository-name-that-does-not-fit", "1.0 GiB"]);
        let s = t.render(30);
        assert!(s.lines().all(|l| width(l) <= 30), "{s}");
        assert!(s.contains('…'));
        let s = t.render(200);
        assert!(s.contains("org/a-very-long-repository-name-that-does-not-fit  1.0 GiB"));
    }
}
