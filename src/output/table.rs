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

    /// Render within `max_width` columns; headers in SCREAMING_SNAKE like `hf`. The widest
    /// column is truncated first (down to 6 cells); if that is not enough, trailing columns
    /// are dropped.
    pub fn render(&self, max_width: usize) -> String {
        let mut n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        const MIN: usize = 6;
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        loop {
            let cur = &mut widths[..n];
            let over = total(cur).saturating_sub(max_width);
            if over == 0 {
                break;
            }
            let (i, w) = cur.iter().enumerate().max_by_key(|(_, w)| **w).map(|(i, w)| (i, *w)).unwrap_or((0, 0));
            if w > MIN {
                cur[i] = w.saturating_sub(over).max(MIN);
            } else if n > 1 {
                n -= 1;
            } else {
                break;
            }
        }
        let widths = &widths[..n];
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
        let mut t3 = Table::new(["A", "B", "C", "D", "E", "F"]);
        t3.row(["xxxxxxxxxx"; 6]);
        assert!(t3.render(20).lines().all(|l| width(l) <= 20), "{}", t3.render(20));
        let s = t.render(200);
        assert!(s.contains("org/a-very-long-repository-name-that-does-not-fit  1.0 GiB"));
    }
}
