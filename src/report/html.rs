//! The HTML report (`analyze --html`, `report DIR --html`): one self-contained file (no
//! script, no external resource), charts as inline SVG followed by their numbers, the
//! matrix linked to each cell's runs, each run's `explain` timeline in a collapsible section.
//!
//! Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
//! deficiencies); every mark also carries its text, so nothing depends on colour alone.

use super::frame::{ColumnData, Frame};
use super::tables::{Cell, GroupRow};
use super::{Accounting, Provenance, Tables};
use crate::rules::Severity;
use crate::verdict::{Share, Verdict};
use std::fmt::Write as _;

pub use super::drill::DrillDown;

/// Bytes of timelines a report holds at most (unsafe, failed and unknown runs first); the rest
/// of the runs are listed with their verdict and how to explain them.
pub const TIMELINE_BUDGET: usize = 5_000_000;

const SAFE: &str = "#0072B2";
const UNSAFE: &str = "#E69F00";
const FAIL: &str = "#CC79A7";
/// Passed, not certified safe: a call's effect was not established.
const INCOMPLETE: &str = "#F0E442";
const UNKNOWN: &str = "#BBBBBB";

pub(super) fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::SafePass => SAFE,
        Verdict::UnsafePass => UNSAFE,
        Verdict::Incomplete => INCOMPLETE,
        Verdict::Fail => FAIL,
        Verdict::Unknown => UNKNOWN,
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#000000",
        Severity::High => "#D55E00",
        Severity::Medium => "#E69F00",
        Severity::Low => "#56B4E9",
        Severity::Info => "#BBBBBB",
    }
}

/// Text made safe for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline never reach the page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.88em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
.prov{background:#f7f7f7;border:1px solid #ddd;padding:.6em 1em;font-size:.9em}
.legend span{display:inline-block;margin-right:1.2em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em;border:1px solid #555}
details{border:1px solid #ddd;margin:.3em 0;padding:.2em .6em}summary{cursor:pointer}
pre{font-size:.8em;white-space:pre-wrap;overflow-wrap:anywhere;background:#fafafa;padding:.5em}
.badge{display:inline-block;padding:0 .4em;border-radius:.3em;font-size:.85em;color:#000;border:1px solid #555}
svg text{font-family:inherit}
@media print{details{break-inside:avoid}body{max-width:none}}
";

/// The whole report.
/// Write the report: its tables and charts, then the drill-down's runs (read back from its
/// spool, so the page is never whole in memory).
pub fn write_html(
    out: &mut dyn std::io::Write,
    tables: &Tables,
    runs: DrillDown,
    accounting: &Accounting,
    provenance: &Provenance,
) -> std::io::Result<()> {
    let mut h = String::new();
    let label = tables.label();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>kubeautopsy report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>kubeautopsy report</h1>");
    let _ = writeln!(
        h,
        "<p>Which passing runs got there safely. A run is a <b>safe pass</b> (verifier passed, no \
         finding at or above {}, and every call that could change the cluster seen), an \
         <b>unsafe pass</b> (passed with such a finding), <b>incomplete</b> (passed with no such \
         finding, but a call's effect on the cluster was not established: not certified safe), \
         a <b>fail</b> or <b>unknown</b> (no outcome recorded). Rates are over the runs with a \
         recorded outcome, with {} intervals.</p>",
        provenance.unsafe_at.name(),
        esc(&provenance.intervals)
    );
    provenance_block(&mut h, tables, accounting, provenance);
    legend(&mut h);

    let _ = writeln!(h, "<h2 id=\"safety\">Safety by {}</h2>", esc(&label));
    safety_chart(&mut h, tables);
    safety_table(&mut h, tables);
    if let Some(points) = trend_points(tables) {
        let _ = writeln!(
            h,
            "<h2 id=\"trend\">Safe pass and final pass over the reports</h2>"
        );
        let _ = writeln!(
            h,
            "<p>The reports in their order (grouped <code>--by report</code>): the final-pass rate \
             (dashed) and the safe-pass rate (solid) of each, with Wilson 95% intervals; a report \
             with no recorded outcome has no point. The numbers follow the chart.</p>"
        );
        trend_chart(&mut h, &points);
        trend_table(&mut h, &points);
    }

    let _ = writeln!(h, "<h2 id=\"matrix\">Verdicts by arm and scenario</h2>");
    let _ = writeln!(
        h,
        "<p>Each cell: its runs' verdicts in repeat order (S safe pass, U unsafe pass, I incomplete, \
         F fail, ? unknown) and the rule found most often in its unsafe and failed runs; the colour is the \
         worst verdict. A cell links to its runs.</p>"
    );
    matrix_chart(&mut h, &tables.cells);
    frame_table(&mut h, &tables.matrix_frame());

    if tables.pass_k.iter().any(|p| p.k >= 2) {
        let _ = writeln!(h, "<h2 id=\"pass-k\">pass^k over repeats</h2>");
        frame_table(&mut h, &tables.pass_k_frame());
    }

    let _ = writeln!(h, "<h2 id=\"rules\">Rule hits</h2>");
    if tables.rule_hits.is_empty() {
        let _ = writeln!(h, "<p>No rule found anything.</p>");
    } else {
        rule_chart(&mut h, tables);
        frame_table(&mut h, &tables.rule_hits_frame());
    }

    let _ = writeln!(h, "<h2 id=\"activity\">Activity by {}</h2>", esc(&label));
    frame_table(&mut h, &tables.activity_frame());
    let _ = writeln!(h, "<p>{}</p>", esc(&super::render_fidelity(tables)));

    let _ = writeln!(
        h,
        "<h2 id=\"not-understood\">Tool calls not understood</h2>"
    );
    if tables.not_understood.is_empty() {
        let _ = writeln!(h, "<p>Every tool call was understood.</p>");
    } else {
        let _ = writeln!(
            h,
            "<p>Their effects are not in any count; a tool map would make them count.</p>"
        );
        frame_table(&mut h, &tables.not_understood_frame());
    }
    if !tables.unseen.is_empty() {
        let _ = writeln!(
            h,
            "<h2 id=\"unseen\">Effects not established</h2><p>Calls that could have changed the \
             cluster in a way the analysis could not establish; a pass with any of them and no \
             unsafe finding is incomplete.</p>"
        );
        frame_table(&mut h, &tables.unseen_frame());
    }

    out.write_all(h.as_bytes())?;
    runs.write(out, tables)?;
    writeln!(out, "</body></html>")
}

fn provenance_block(h: &mut String, tables: &Tables, a: &Accounting, p: &Provenance) {
    let not_understood: u64 = tables.not_understood.iter().map(|n| n.calls).sum();
    let rejected = if a.rejected_total() > 0 {
        format!("{} ({})", a.rejected_total(), a.rejected_by_kind())
    } else {
        "0".to_string()
    };
    let _ = writeln!(
        h,
        "<div class=\"prov\" id=\"provenance\"><b>Provenance.</b> kubeautopsy {} · rule set {} \
         ({} rules) · {} tool maps · unsafe at {} · intervals {}<br>Inputs: {} file(s), {} \
         record(s); analysed {} run(s); rejected {}; tool calls not understood {}.</div>",
        esc(&p.kubeautopsy),
        esc(&p.rule_set),
        p.rules.len(),
        p.tool_maps,
        p.unsafe_at.name(),
        esc(&p.intervals),
        a.sources,
        a.records,
        a.runs,
        esc(&rejected),
        not_understood
    );
}

fn legend(h: &mut String) {
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span><i style=\"background:{SAFE}\"></i>safe pass</span>\
         <span><i style=\"background:{UNSAFE}\"></i>unsafe pass</span>\
         <span><i style=\"background:{INCOMPLETE}\"></i>incomplete</span>\
         <span><i style=\"background:{FAIL}\"></i>fail</span>\
         <span><i style=\"background:{UNKNOWN}\"></i>unknown</span>\
         <span>├─┤ Wilson 95% interval (safe pass; dashed: final pass)</span></p>"
    );
}

/// Stacked bars (safe / unsafe / fail shares of the runs with an outcome) per group, with the
/// Wilson intervals of the safe-pass and final-pass rates as whiskers.
fn safety_chart(h: &mut String, tables: &Tables) {
    let rows: Vec<&GroupRow> = tables
        .groups
        .iter()
        .chain(std::iter::once(&tables.total))
        .collect();
    let (label_w, bar_w, row_h, top) = (190.0, 600.0, 34.0, 10.0);
    let height = top + rows.len() as f64 * row_h + 34.0;
    let width = label_w + bar_w + 30.0;
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-labelledby=\"safety-t safety-d\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" class=\"chart\" id=\"safety-chart\">\
         <title id=\"safety-t\">Safety by {label}</title>\
         <desc id=\"safety-d\">For each group, the shares of safe passes, unsafe passes and failures among runs with a recorded outcome, with Wilson 95% intervals of the safe-pass and final-pass rates. The numbers follow in a table.</desc>",
        label = esc(&tables.label())
    );
    let x = |share: f64| label_w + share * bar_w;
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let n = r.known();
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>",
            label_w - 8.0,
            y + 19.0,
            esc(&r.label())
        );
        if n == 0 {
            let _ = writeln!(
                h,
                "<text x=\"{label_w}\" y=\"{}\" font-size=\"12\">no recorded outcome</text>",
                y + 19.0
            );
            continue;
        }
        let mut start = 0.0;
        for (count, colour, name, share) in [
            (r.safe_pass, SAFE, "safe pass", r.safe()),
            (r.unsafe_pass, UNSAFE, "unsafe pass", r.unsafe_()),
            (r.incomplete, INCOMPLETE, "incomplete", r.incomplete_()),
            (r.fail, FAIL, "fail", r.failed()),
        ] {
            let w = count as f64 / n as f64;
            if count > 0 {
                let _ = writeln!(
                    h,
                    "<rect x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"22\" fill=\"{colour}\" stroke=\"#fff\" data-verdict=\"{name}\"><title>{}: {name} {}</title></rect>",
                    x(start),
                    y + 4.0,
                    w * bar_w,
                    esc(&r.label()),
                    esc(&share.render())
                );
                if w * bar_w > 34.0 {
                    let _ = writeln!(
                        h,
                        "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#000\">{count}/{n}</text>",
                        x(start + w / 2.0),
                        y + 19.0
                    );
                }
            }
            start += w;
        }
        whisker(h, r.safe(), y + 26.0, false, &x);
        whisker(h, r.final_pass(), y + 30.0, true, &x);
    }
    let axis_y = top + rows.len() as f64 * row_h + 6.0;
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            h,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#999\"/><text x=\"{0:.1}\" y=\"{3}\" font-size=\"11\" text-anchor=\"middle\">{4:.0}%</text>",
            x(t),
            axis_y,
            axis_y + 5.0,
            axis_y + 18.0,
            t * 100.0
        );
    }
    let _ = writeln!(h, "</svg>");
}

/// The groups of a `--by report` table, in order, when there are at least two: the points
/// of the trend chart.
fn trend_points(tables: &Tables) -> Option<Vec<&GroupRow>> {
    let by_report = tables.by.as_slice() == [crate::fold::GroupField::Report];
    (by_report && tables.groups.len() >= 2).then(|| tables.groups.iter().collect())
}

/// Two lines over the reports (x: report in order; y: rate 0–100%): final pass dashed, safe
/// pass solid, each point with its Wilson interval as a vertical whisker.
fn trend_chart(h: &mut String, points: &[&GroupRow]) {
    let (left, top, plot_h, step) = (90.0, 14.0, 260.0, 56.0_f64.min(900.0 / points.len() as f64));
    let plot_w = step * (points.len() as f64 - 1.0).max(1.0);
    let label_h = 96.0;
    let width = left + plot_w + 40.0;
    let height = top + plot_h + label_h;
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-labelledby=\"trend-t trend-d\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" class=\"chart\" id=\"trend-chart\">\
         <title id=\"trend-t\">Safe pass and final pass over the reports</title>\
         <desc id=\"trend-d\">For each report in order, the final-pass rate (dashed line) and the safe-pass rate (solid line) among runs with a recorded outcome, with Wilson 95% intervals. The numbers follow in a table.</desc>"
    );
    let x = |i: usize| left + i as f64 * step;
    let y = |rate: f64| top + (1.0 - rate) * plot_h;
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            h,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{1:.1}\" y2=\"{1:.1}\" stroke=\"#ddd\"/><text x=\"{2}\" y=\"{3:.1}\" font-size=\"11\" text-anchor=\"end\">{4:.0}%</text>",
            left + plot_w,
            y(t),
            left - 6.0,
            y(t) + 4.0,
            t * 100.0
        );
    }
    for (i, p) in points.iter().enumerate() {
        let _ = writeln!(
            h,
            "<text x=\"{0:.1}\" y=\"{1:.1}\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-50 {0:.1} {1:.1})\">{2}</text>",
            x(i) + 4.0,
            top + plot_h + 14.0,
            esc(&p.label())
        );
    }
    // The two series' whiskers sit a little apart, so that neither hides the other.
    for (series, colour, dash, share, offset) in [
        (
            "final pass",
            "#000000",
            " stroke-dasharray=\"5 3\"",
            GroupRow::final_pass as fn(&GroupRow) -> Share,
            -2.5,
        ),
        (
            "safe pass",
            SAFE,
            "",
            GroupRow::safe as fn(&GroupRow) -> Share,
            2.5,
        ),
    ] {
        let pts: Vec<(usize, Share)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, share(p)))
            .filter(|(_, s)| s.rate.is_some())
            .collect();
        let path: Vec<String> = pts
            .iter()
            .filter_map(|(i, s)| s.rate.map(|r| format!("{:.1},{:.1}", x(*i), y(r))))
            .collect();
        let _ = writeln!(
            h,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\" data-series=\"{series}\"/>",
            path.join(" ")
        );
        for (i, s) in &pts {
            let (Some(r), Some(lo), Some(hi)) = (s.rate, s.low, s.high) else {
                continue;
            };
            let _ = writeln!(
                h,
                "<g stroke=\"{colour}\" stroke-width=\"1.2\" data-series=\"{series}\"><line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1:.1}\" y2=\"{2:.1}\"/><circle cx=\"{6:.1}\" cy=\"{3:.1}\" r=\"3.2\" fill=\"{colour}\"/><title>{4}: {series} {5}</title></g>",
                x(*i) + offset,
                y(lo),
                y(hi),
                y(r),
                esc(&points[*i].label()),
                esc(&s.render()),
                x(*i)
            );
        }
    }
    let _ = writeln!(h, "</svg>");
}

/// The trend chart's numbers.
fn trend_table(h: &mut String, points: &[&GroupRow]) {
    let _ = writeln!(
        h,
        "<table id=\"trend-table\"><tr><th>report</th><th>runs</th><th>final pass</th><th>safe pass</th><th>unsafe pass</th><th>incomplete</th></tr>"
    );
    for p in points {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&p.label()),
            p.runs,
            esc(&p.final_pass().render()),
            esc(&p.safe().render()),
            esc(&p.unsafe_().render()),
            esc(&p.incomplete_().render())
        );
    }
    let _ = writeln!(h, "</table>");
}

fn whisker(h: &mut String, s: Share, y: f64, dashed: bool, x: &dyn Fn(f64) -> f64) {
    let (Some(lo), Some(hi)) = (s.low, s.high) else {
        return;
    };
    let dash = if dashed {
        " stroke-dasharray=\"3 2\""
    } else {
        ""
    };
    let _ = writeln!(
        h,
        "<g stroke=\"#000\" stroke-width=\"1.3\"{dash}><line x1=\"{0:.1}\" x2=\"{1:.1}\" y1=\"{y}\" y2=\"{y}\"/><line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{2}\" y2=\"{3}\"/><line x1=\"{1:.1}\" x2=\"{1:.1}\" y1=\"{2}\" y2=\"{3}\"/><title>{4}</title></g>",
        x(lo),
        x(hi),
        y - 2.5,
        y + 2.5,
        esc(&s.render())
    );
}

/// The worst verdict of a cell decides its colour.
fn cell_colour(c: &Cell) -> &'static str {
    if c.fail > 0 {
        FAIL
    } else if c.unsafe_pass > 0 {
        UNSAFE
    } else if c.incomplete > 0 {
        INCOMPLETE
    } else if c.safe_pass > 0 {
        SAFE
    } else {
        UNKNOWN
    }
}

fn matrix_chart(h: &mut String, cells: &[Cell]) {
    let mut scenarios: Vec<&str> = cells.iter().map(|c| c.scenario.as_str()).collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    let mut arms: Vec<&str> = cells.iter().map(|c| c.arm.as_str()).collect();
    arms.dedup();
    let (label_w, cell_w, cell_h, head_h) = (150.0, 122.0, 46.0, 110.0);
    // Room on the right for the last rotated scenario name.
    let width = label_w + cell_w * scenarios.len() as f64 + 140.0;
    let height = head_h + cell_h * arms.len() as f64 + 10.0;
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-labelledby=\"matrix-t matrix-d\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" class=\"chart\" id=\"matrix-chart\">\
         <title id=\"matrix-t\">Verdicts by arm and scenario</title>\
         <desc id=\"matrix-d\">A grid of arms (rows) and scenarios (columns); each cell shows its runs' verdict letters and the most frequent rule, coloured by the worst verdict, and links to its runs. The numbers follow in a table.</desc>"
    );
    for (j, sc) in scenarios.iter().enumerate() {
        let cx = label_w + cell_w * j as f64 + cell_w / 2.0;
        let _ = writeln!(
            h,
            "<text transform=\"translate({cx:.1},{}) rotate(-30)\" font-size=\"12\">{}</text>",
            head_h - 8.0,
            esc(sc)
        );
    }
    for (i, arm) in arms.iter().enumerate() {
        let y = head_h + cell_h * i as f64;
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"13\">{}</text>",
            label_w - 8.0,
            y + cell_h / 2.0 + 4.0,
            esc(arm)
        );
        for (j, sc) in scenarios.iter().enumerate() {
            let Some((k, c)) = cells
                .iter()
                .enumerate()
                .find(|(_, c)| c.arm == *arm && c.scenario == *sc)
            else {
                continue;
            };
            let x = label_w + cell_w * j as f64;
            let _ = writeln!(
                h,
                "<a href=\"#cell-{k}\"><rect x=\"{x:.1}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"2\" data-cell=\"{}/{}\"><title>{} · {}: {}{}</title></rect>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text></a>",
                cell_w - 2.0,
                cell_h - 2.0,
                cell_colour(c),
                esc(arm),
                esc(sc),
                esc(arm),
                esc(sc),
                esc(&c.verdicts),
                c.top_rule
                    .as_deref()
                    .map_or(String::new(), |r| format!(" · {}", esc(r))),
                x + cell_w / 2.0,
                y + 19.0,
                esc(&c.verdicts),
                x + cell_w / 2.0,
                y + 35.0,
                esc(c.top_rule.as_deref().unwrap_or(""))
            );
        }
    }
    let _ = writeln!(h, "</svg>");
}

/// Findings per rule, grouped by category, coloured by severity.
fn rule_chart(h: &mut String, tables: &Tables) {
    let mut hits: Vec<&super::tables::RuleHit> = tables.rule_hits.iter().collect();
    hits.sort_by(|a, b| (a.category.name(), &a.rule).cmp(&(b.category.name(), &b.rule)));
    let max = hits.iter().map(|r| r.findings).max().unwrap_or(1).max(1) as f64;
    let (label_w, bar_w, row_h) = (300.0, 420.0, 22.0);
    let width = label_w + bar_w + 120.0;
    let height = hits.len() as f64 * row_h + 10.0;
    let _ = writeln!(
        h,
        "<svg role=\"img\" aria-labelledby=\"rules-t rules-d\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" class=\"chart\" id=\"rules-chart\">\
         <title id=\"rules-t\">Rule hits</title>\
         <desc id=\"rules-d\">Findings per rule, grouped by category, coloured and labelled by severity. The numbers follow in a table.</desc>"
    );
    for (i, r) in hits.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let w = r.findings as f64 / max * bar_w;
        let _ = writeln!(
            h,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{} · {}@{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" fill=\"{}\" data-rule=\"{}\"><title>{}@{}: {} finding(s) in {} run(s), {}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{} · {}</text>",
            label_w - 8.0,
            y + 12.0,
            esc(r.category.name()),
            esc(&r.rule),
            r.version,
            severity_colour(r.severity),
            esc(&r.rule),
            esc(&r.rule),
            r.version,
            r.findings,
            r.runs,
            r.severity.name(),
            label_w + w + 6.0,
            y + 12.0,
            r.findings,
            r.severity.name()
        );
    }
    let _ = writeln!(h, "</svg>");
}

/// The headline numbers as the terminal shows them: x/n, rate and Wilson interval per verdict.
fn safety_table(h: &mut String, tables: &Tables) {
    let _ = writeln!(
        h,
        "<table data-table=\"safety\"><thead><tr><th>{}</th><th>runs</th><th>final pass</th>\
         <th>safe pass</th><th>unsafe pass</th><th>incomplete</th><th>fail</th><th>unknown</th>\
         <th>unsafe share of passes</th></tr></thead><tbody>",
        esc(&tables.label())
    );
    for r in tables.groups.iter().chain(std::iter::once(&tables.total)) {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&r.label()),
            r.runs,
            esc(&r.final_pass().render()),
            esc(&r.safe().render()),
            esc(&r.unsafe_().render()),
            esc(&r.incomplete_().render()),
            esc(&r.failed().render()),
            r.unknown,
            esc(&r.unsafe_of_passes().render())
        );
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// Any frame as an HTML table: counts right-aligned, `_rate` / `_low` / `_high` as percents.
fn frame_table(h: &mut String, f: &Frame) {
    let _ = write!(h, "<table data-table=\"{}\"><thead><tr>", f.name);
    for (name, _) in &f.columns {
        let _ = write!(h, "<th>{}</th>", esc(&name.replace('_', " ")));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for i in 0..f.height() {
        let _ = write!(h, "<tr>");
        for (name, col) in &f.columns {
            let percent = ["_rate", "_low", "_high"].iter().any(|s| name.ends_with(s));
            match col {
                ColumnData::Str(v) => {
                    let _ = write!(
                        h,
                        "<td>{}</td>",
                        esc(v.get(i).and_then(|x| x.as_deref()).unwrap_or(""))
                    );
                }
                ColumnData::U64(v) => {
                    let _ = write!(
                        h,
                        "<td class=\"n\">{}</td>",
                        v.get(i)
                            .copied()
                            .flatten()
                            .map_or(String::new(), |x| x.to_string())
                    );
                }
                ColumnData::F64(v) => {
                    let text = v.get(i).copied().flatten().map_or(String::new(), |x| {
                        if percent {
                            format!("{:.1}%", x * 100.0)
                        } else {
                            format!("{x:.3}")
                        }
                    });
                    let _ = write!(h, "<td class=\"n\">{text}</td>");
                }
            }
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// Every run, by cell, in a collapsible section with its timeline (within the budget).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(esc("a\u{1b}[31mb\n"), "a\u{FFFD}[31mb\n");
    }
}
