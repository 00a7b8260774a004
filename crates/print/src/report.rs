//! Printable reports (the borderô): A4 pages of worded tables, a heading and facts above them,
//! tables continued on the next page when a page is full. Pure like the tickets: what to print
//! comes in already worded.

use crate::{INK, MARGIN, MUTED, PAGE_HEIGHT, PAGE_WIDTH, Pen, PrintError, fonts, wrap};
use krilla::geom::Rect;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::{Document, SerializeSettings};

/// A table: its heading, its columns' headings, rows and an optional line of totals. The first
/// column is text, read from the left; the others are figures, set flush right.
#[derive(Clone, Debug, Default)]
pub struct ReportTable {
    pub heading: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub totals: Option<Vec<String>>,
    /// A line under the table, small.
    pub note: Option<String>,
}

/// A whole report, worded.
#[derive(Clone, Debug, Default)]
pub struct ReportSheet {
    /// The band's small line: "bilheteria · BORDERÔ".
    pub kind: String,
    pub title: String,
    /// Lines under the title: the session's time, the venue.
    pub facts: Vec<String>,
    /// Key figures, label and value, set large.
    pub figures: Vec<(String, String)>,
    pub tables: Vec<ReportTable>,
    /// The foot of every page: when and by whom it was printed.
    pub footer: String,
    /// The document's language tag (`pt-BR`, `en`).
    pub language: String,
}

const ROW: f32 = 15.0;
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 20.0;

/// The width of `text` in DejaVu Sans at `size`, near enough to set figures flush right:
/// digits are all one width in DejaVu Sans (1303/2048 em), separators narrower.
fn width_of(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| match c {
            '0'..='9' => 1303.0 / 2048.0,
            '.' | ',' | ' ' | '\u{a0}' => 651.0 / 2048.0,
            '%' => 0.95,
            'R' => 0.695,
            '$' => 0.636,
            '−' | '-' => 0.361,
            _ => 0.6,
        })
        .sum::<f32>()
        * size
}

struct Pages {
    document: Document,
    settings: PageSettings,
    /// The drawing operations of the current page, replayed when it is finished (a krilla page
    /// borrows the document, so pages are drawn one at a time from these).
    ops: Vec<Op>,
    done: Vec<Vec<Op>>,
    y: f32,
}

#[derive(Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        bold: bool,
        size: f32,
        color: (u8, u8, u8),
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: (u8, u8, u8),
    },
}

impl Pages {
    fn text(&mut self, x: f32, bold: bool, size: f32, color: (u8, u8, u8), text: &str) {
        self.ops.push(Op::Text {
            x,
            y: self.y,
            bold,
            size,
            color,
            text: text.to_owned(),
        });
    }

    fn rule(&mut self, y: f32, color: (u8, u8, u8)) {
        self.ops.push(Op::Rect {
            x: MARGIN,
            y,
            w: PAGE_WIDTH - 2.0 * MARGIN,
            h: 0.8,
            color,
        });
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.ops));
        self.y = MARGIN + 10.0;
    }

    /// Starts a new page unless `needed` points fit below.
    fn room_for(&mut self, needed: f32) -> bool {
        if self.y + needed > BOTTOM {
            self.new_page();
            true
        } else {
            false
        }
    }
}

/// Where each column starts, and whether it is figures (flush right at its end).
fn columns_layout(count: usize) -> Vec<(f32, f32)> {
    let inner = PAGE_WIDTH - 2.0 * MARGIN;
    if count <= 1 {
        return vec![(MARGIN, MARGIN + inner)];
    }
    // The first column takes a third; the figures share the rest.
    let first = inner * 0.34;
    let each = (inner - first) / (count - 1) as f32;
    let mut out = vec![(MARGIN, MARGIN + first - 6.0)];
    for i in 0..count - 1 {
        let start = MARGIN + first + each * i as f32;
        out.push((start, start + each - 4.0));
    }
    out
}

fn row_ops(pages: &mut Pages, cells: &[String], bold: bool, color: (u8, u8, u8)) {
    let layout = columns_layout(cells.len());
    let size = 8.5;
    for (i, (cell, (start, end))) in cells.iter().zip(layout).enumerate() {
        if i == 0 {
            let max = ((end - start) / (size * 0.55)) as usize;
            let line = wrap(cell, max.max(4))
                .into_iter()
                .next()
                .unwrap_or_default();
            pages.text(start, bold, size, color, &line);
        } else {
            let x = (end - width_of(cell, size)).max(start);
            pages.text(x, bold, size, color, cell);
        }
    }
}

fn table(pages: &mut Pages, table: &ReportTable) {
    pages.room_for(ROW * 4.0);
    pages.y += 10.0;
    pages.text(MARGIN, true, 12.0, INK, &table.heading);
    pages.y += ROW + 2.0;
    let head = |pages: &mut Pages| {
        row_ops(pages, &table.columns, true, MUTED);
        pages.rule(pages.y + 4.0, (0xd0, 0xd4, 0xda));
        pages.y += ROW;
    };
    head(pages);
    for row in &table.rows {
        if pages.room_for(ROW) {
            head(pages);
        }
        row_ops(pages, row, false, INK);
        pages.y += ROW;
    }
    if let Some(totals) = &table.totals {
        pages.room_for(ROW);
        pages.rule(pages.y - 10.0, (0xd0, 0xd4, 0xda));
        row_ops(pages, totals, true, INK);
        pages.y += ROW;
    }
    if let Some(note) = &table.note {
        for line in wrap(note, 110) {
            pages.room_for(11.0);
            pages.text(MARGIN, false, 7.5, MUTED, &line);
            pages.y += 11.0;
        }
    }
    pages.y += 6.0;
}

/// A PDF of A4 pages with `sheet`'s tables.
pub fn render_report(sheet: &ReportSheet) -> Result<Vec<u8>, PrintError> {
    let mut document = Document::new_with(SerializeSettings {
        compress_content_streams: false,
        ..SerializeSettings::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(sheet.title.clone())
            .creator("bilheteria".to_owned())
            .language(sheet.language.clone()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or(PrintError::Pdf("page size".into()))?;
    let mut pages = Pages {
        document,
        settings,
        ops: Vec::new(),
        done: Vec::new(),
        y: 0.0,
    };
    // The band.
    pages.ops.push(Op::Rect {
        x: 0.0,
        y: 0.0,
        w: PAGE_WIDTH,
        h: 96.0,
        color: crate::BRAND,
    });
    pages.y = 36.0;
    pages.text(MARGIN, true, 10.0, (0xd8, 0xf3, 0xe6), &sheet.kind);
    pages.y = 64.0;
    for line in wrap(&sheet.title, 46).into_iter().take(2) {
        pages.text(MARGIN, true, 18.0, (255, 255, 255), &line);
        pages.y += 20.0;
    }
    pages.y = 120.0;
    for fact in &sheet.facts {
        pages.text(MARGIN, false, 10.0, INK, fact);
        pages.y += 14.0;
    }
    // Key figures, four to a line.
    pages.y += 10.0;
    for chunk in sheet.figures.chunks(4) {
        let each = (PAGE_WIDTH - 2.0 * MARGIN) / 4.0;
        for (i, (label, value)) in chunk.iter().enumerate() {
            let x = MARGIN + each * i as f32;
            pages.text(x, false, 8.0, MUTED, label);
            pages.y += 16.0;
            pages.text(x, true, 13.0, INK, value);
            pages.y -= 16.0;
        }
        pages.y += 40.0;
    }
    for t in &sheet.tables {
        table(&mut pages, t);
    }
    let Pages {
        mut document,
        settings,
        ops,
        mut done,
        ..
    } = pages;
    done.push(ops);
    let count = done.len();
    let fonts = fonts();
    for (number, ops) in done.into_iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
        };
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    bold,
                    size,
                    color,
                    text,
                } => {
                    let font = if bold { &fonts.bold } else { &fonts.regular };
                    pen.text(x, y, font, size, color, &text);
                }
                Op::Rect { x, y, w, h, color } => pen.rect(Rect::from_xywh(x, y, w, h), color),
            }
        }
        let foot = format!("{} · {}/{}", sheet.footer, number + 1, count);
        pen.text(
            MARGIN,
            PAGE_HEIGHT - MARGIN + 10.0,
            &fonts.regular,
            7.5,
            MUTED,
            &foot,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| PrintError::Pdf(format!("{error:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_table_goes_on_over_pages_with_its_text_embedded() {
        let sheet = ReportSheet {
            kind: "bilheteria · BORDERÔ".into(),
            title: "Grande Show".into(),
            facts: vec!["sábado, 6 de março de 2027, 20:00".into()],
            figures: vec![("Bruto".into(), "R$ 1.234,56".into())],
            tables: vec![ReportTable {
                heading: "Por setor".into(),
                columns: vec!["Setor".into(), "Vendidos".into(), "Valor".into()],
                rows: (0..120)
                    .map(|i| vec![format!("Setor {i}"), i.to_string(), "R$ 10,00".into()])
                    .collect(),
                totals: Some(vec!["Total".into(), "7140".into(), "R$ 1.200,00".into()]),
                note: Some("Meia-entrada: Lei 12.933/2013.".into()),
            }],
            footer: "Emitido em 06/03/2027 20:00".into(),
            language: "pt-BR".into(),
        };
        let pdf = render_report(&sheet).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 3"), "120 rows take three pages");
        assert!(text.contains("/FontFile2"), "the font is embedded");
    }
}
