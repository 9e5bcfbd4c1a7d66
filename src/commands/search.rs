//! `hfx search`: models, datasets or spaces, as a fitted table or JSON.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{SearchArgs, SearchSort};
use crate::context::Context;
use crate::hub::api::SearchQuery;
use crate::output::{Printer, Render, Table};

#[derive(Serialize)]
struct Row {
    id: String,
    author: Option<String>,
    downloads: Option<u64>,
    likes: Option<u64>,
    last_modified: Option<String>,
    created_at: Option<String>,
    private: Option<bool>,
    gated: Option<serde_json::Value>,
    pipeline_tag: Option<String>,
    library_name: Option<String>,
    tags: Vec<String>,
    trending_score: Option<f64>,
}

#[derive(Serialize)]
#[serde(transparent)]
struct Rows(Vec<Row>);

fn num(n: Option<u64>) -> String {
    match n {
        None => "-".into(),
        Some(n) if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        Some(n) if n >= 1_000 => format!("{:.1}k", n as f64 / 1e3),
        Some(n) => n.to_string(),
    }
}

impl Render for Rows {
    fn human(&self, p: &Printer) -> String {
        let mut t = Table::new(["ID", "DOWNLOADS", "LIKES", "UPDATED", "TASK"]);
        for r in &self.0 {
            let date = r.last_modified.as_deref().map_or("-", |d| d.get(..10).unwrap_or(d));
            t.row([
                r.id.clone(),
                num(r.downloads),
                num(r.likes),
                date.to_string(),
                r.pipeline_tag.clone().unwrap_or_default(),
            ]);
        }
        t.render(p.width())
    }
}

pub(crate) async fn run(ctx: &Context, args: SearchArgs) -> anyhow::Result<ExitCode> {
    if args.limit == 0 {
        return Err(super::usage("`--limit` must be at least 1"));
    }
    let q = SearchQuery {
        repo_type: Some(super::repo_type(args.repo_type)),
        search: args.query.clone(),
        author: args.author.clone(),
        filters: args.filter.clone(),
        sort: args.sort.map(|s| {
            match s {
                SearchSort::Downloads => "downloads",
                SearchSort::Likes => "likes",
                SearchSort::Trending => "trendingScore",
                SearchSort::Created => "createdAt",
                SearchSort::Modified => "lastModified",
            }
            .to_string()
        }),
        limit: args.limit,
    };
    let client = ctx.client()?;
    let results = client.search(&q, &crate::hub::Silent).await?;
    if results.is_empty() && !ctx.printer.is_json() {
        ctx.printer.info("no results");
        return Ok(ExitCode::SUCCESS);
    }
    let rows = results
        .into_iter()
        .map(|r| Row {
            id: r.id,
            author: r.author,
            downloads: r.downloads,
            likes: r.likes,
            last_modified: r.last_modified,
            created_at: r.created_at,
            private: r.private,
            gated: r.gated,
            pipeline_tag: r.pipeline_tag,
            library_name: r.library_name,
            tags: r.tags,
            trending_score: r.trending_score,
        })
        .collect();
    ctx.printer.emit(&Rows(rows))?;
    Ok(ExitCode::SUCCESS)
}
