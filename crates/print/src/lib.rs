//! Printable tickets (S4) and reports (the borderô, `report.rs`): one A4 page per ticket, good to print at home and to show on a phone.
//! Each page carries the event, when and where, the place, the holder, the order and price, a
//! vector QR code of the signed code with a short reference beside it, and the terms. Text is set
//! in DejaVu Sans (from the `dejavu` crate), embedded and subset by krilla to the glyphs used.
//!
//! Pure: what to print comes in already worded ([`TicketSheet`]); nothing here reads a database,
//! a clock or a locale.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use qrcode::{EcLevel, QrCode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

mod report;
pub use report::{ReportSheet, ReportTable, render_report};

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 48.0;
/// The QR's side: 60 mm, easy for a gate's scanner at arm's length.
const QR_SIDE: f32 = 170.0;
/// The band at the top, with the title (and the poster, when the event has one).
const BAND_HEIGHT: f32 = 118.0;
/// The poster's margin inside the band.
const POSTER_INSET: f32 = 12.0;

/// One ticket, worded for people.
#[derive(Clone, Debug, Default)]
pub struct TicketSheet {
    pub event_title: String,
    /// "sábado, 6 de março de 2027, 20:00 (UTC−03:00)".
    pub when: String,
    /// "Estádio — Recife".
    pub venue: String,
    /// "Cadeiras, fila R0, assento 1", or "Pista (em pé)", in the holder's language.
    pub place: String,
    pub category: String,
    /// "Inteira", or "Meia-entrada (estudante)".
    pub ticket_type: String,
    pub holder: String,
    pub order_id: String,
    /// "R$ 120,00".
    pub price: String,
    /// What the QR encodes: the signed code.
    pub code: String,
    /// A short reference for people: staff can read it out when a QR will not scan.
    pub reference: String,
    /// Lines of the terms, printed small at the foot.
    pub terms: Vec<String>,
    /// The event's poster as JPEG, printed in the band beside the title; shared by the sheets
    /// of an order, and embedded in the PDF once.
    pub poster: Option<Arc<Vec<u8>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the code does not fit a QR code")]
    CodeTooLong,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("the PNG could not be written: {0}")]
    Png(String),
}

/// A QR code's dark modules, row by row, `width` to a row.
struct Modules {
    width: usize,
    dark: Vec<bool>,
}

/// The modules of `code`'s QR code. Working them out (the data, its error correction, and the
/// best of eight masks) costs about half a millisecond, and a purchase mail draws each ticket's
/// code twice (as a PNG inline and in the PDF): the latest codes are kept.
fn modules(code: &str) -> Result<Arc<Modules>, PrintError> {
    static LATEST: OnceLock<Mutex<HashMap<String, Arc<Modules>>>> = OnceLock::new();
    let latest = LATEST.get_or_init(Mutex::default);
    if let Some(found) = latest.lock().ok().and_then(|kept| kept.get(code).cloned()) {
        return Ok(found);
    }
    let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M)
        .map_err(|_| PrintError::CodeTooLong)?;
    let made = Arc::new(Modules {
        width: qr.width(),
        dark: qr
            .to_colors()
            .into_iter()
            .map(|color| color == qrcode::Color::Dark)
            .collect(),
    });
    if let Ok(mut kept) = latest.lock() {
        // A few mails' worth is enough: they are composed one at a time.
        if kept.len() >= 256 {
            kept.clear();
        }
        kept.insert(code.to_owned(), made.clone());
    }
    Ok(made)
}

/// The QR code of `code` as a PNG (1 bit a pixel, black on white), `module_px` pixels a module,
/// with the quiet zone of four modules the standard asks for. Mail clients show PNG where many
/// refuse SVG.
pub fn qr_png(code: &str, module_px: usize) -> Result<Vec<u8>, PrintError> {
    let qr = modules(code)?;
    let module_px = module_px.max(1);
    let side = (qr.width + 8) * module_px;
    // Rows of bits, 1 white, each row starting on a byte; a dark pixel clears its bit.
    let row_bytes = side.div_ceil(8);
    let mut pixels = vec![0xffu8; side * row_bytes];
    for (index, _) in qr.dark.iter().enumerate().filter(|(_, dark)| **dark) {
        let (row, column) = (index / qr.width + 4, index % qr.width + 4);
        for y in row * module_px..(row + 1) * module_px {
            for x in column * module_px..(column + 1) * module_px {
                pixels[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
            }
        }
    }
    let side_u32 = u32::try_from(side).map_err(|_| PrintError::CodeTooLong)?;
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, side_u32, side_u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Two colours in long runs compress well at the fastest setting.
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder
        .write_header()
        .map_err(|error| PrintError::Png(error.to_string()))?;
    writer
        .write_image_data(&pixels)
        .map_err(|error| PrintError::Png(error.to_string()))?;
    writer
        .finish()
        .map_err(|error| PrintError::Png(error.to_string()))?;
    Ok(png_bytes)
}

struct Fonts {
    regular: Font,
    bold: Font,
}

/// Parsed once: a `Font` is a shared handle, cheap to clone per page.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let load = |data: &'static [u8]| {
            // The bytes are a font the dejavu crate ships; failing to parse them is a broken build.
            #[allow(clippy::expect_used)]
            Font::new(data.into(), 0).expect("DejaVu parses")
        };
        Fonts {
            regular: load(dejavu::sans::regular()),
            bold: load(dejavu::sans::bold()),
        }
    })
}

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

const INK: (u8, u8, u8) = (0x1b, 0x1f, 0x2a);
const MUTED: (u8, u8, u8) = (0x5b, 0x63, 0x70);
const BRAND: (u8, u8, u8) = (0x0b, 0x5d, 0x3b);

/// Splits `text` into lines of at most `width` characters, at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(head);
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

struct Pen<'s, 'p> {
    surface: &'s mut Surface<'p>,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, font: &Font, size: f32, color: (u8, u8, u8), text: &str) {
        self.surface.set_fill(Some(fill(color.0, color.1, color.2)));
        self.surface.draw_text(
            Point::from_xy(x, y),
            font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn rect(&mut self, rect: Option<Rect>, color: (u8, u8, u8)) {
        let Some(rect) = rect else { return };
        let mut path = PathBuilder::new();
        path.push_rect(rect);
        if let Some(path) = path.finish() {
            self.surface.set_fill(Some(fill(color.0, color.1, color.2)));
            self.surface.set_stroke(None);
            self.surface.draw_path(&path);
        }
    }

    /// A label above its value; answers the y below them.
    fn field(&mut self, x: f32, y: f32, label: &str, value: &str, width: usize) -> f32 {
        let fonts = fonts();
        self.text(x, y, &fonts.regular, 8.5, MUTED, label);
        let mut y = y + 15.0;
        for line in wrap(value, width) {
            self.text(x, y, &fonts.bold, 12.0, INK, &line);
            y += 15.0;
        }
        y + 8.0
    }

    /// The poster at the band's right end, as large as the band and the QR's column allow,
    /// its proportions kept; `None` if it cannot be laid out.
    fn poster(&mut self, image: Image) -> Option<()> {
        let (width, height) = image.size();
        let (box_w, box_h) = (QR_SIDE, BAND_HEIGHT - 2.0 * POSTER_INSET);
        let scale = (box_w / width as f32).min(box_h / height as f32);
        let (w, h) = (width as f32 * scale, height as f32 * scale);
        let size = Size::from_wh(w, h)?;
        let x = PAGE_WIDTH - MARGIN - w;
        let y = POSTER_INSET + (box_h - h) / 2.0;
        self.surface
            .push_transform(&Transform::from_translate(x, y));
        self.surface.draw_image(image, size);
        self.surface.pop();
        Some(())
    }

    /// The QR code of `code` as vector squares, one path for all dark modules.
    fn qr(&mut self, x: f32, y: f32, code: &str) -> Result<(), PrintError> {
        let qr = modules(code)?;
        let modules = qr.width;
        // A quiet zone of four modules on every side, inside the printed square.
        let module = QR_SIDE / (modules + 8) as f32;
        self.rect(Rect::from_xywh(x, y, QR_SIDE, QR_SIDE), (255, 255, 255));
        // One rectangle per horizontal run of dark modules: half the path of a square each.
        let mut path = PathBuilder::new();
        for (row, line) in qr.dark.chunks(modules).enumerate() {
            let mut column = 0;
            while column < modules {
                if !line[column] {
                    column += 1;
                    continue;
                }
                let start = column;
                while column < modules && line[column] {
                    column += 1;
                }
                if let Some(run) = Rect::from_xywh(
                    x + (start + 4) as f32 * module,
                    y + (row + 4) as f32 * module,
                    (column - start) as f32 * module,
                    module,
                ) {
                    path.push_rect(run);
                }
            }
        }
        if let Some(path) = path.finish() {
            self.surface.set_fill(Some(fill(0, 0, 0)));
            self.surface.draw_path(&path);
        }
        Ok(())
    }
}

fn draw_page(surface: &mut Surface<'_>, sheet: &TicketSheet) -> Result<(), PrintError> {
    let fonts = fonts();
    let mut pen = Pen { surface };
    let inner = PAGE_WIDTH - 2.0 * MARGIN;
    // The band: brand and title.
    pen.rect(Rect::from_xywh(0.0, 0.0, PAGE_WIDTH, BAND_HEIGHT), BRAND);
    pen.text(
        MARGIN,
        40.0,
        &fonts.bold,
        11.0,
        (0xd8, 0xf3, 0xe6),
        "bilheteria · INGRESSO / TICKET",
    );
    let poster = sheet.poster.as_ref().and_then(|jpeg| {
        Image::from_jpeg(krilla::Data::from(jpeg.clone()), true)
            .ok()
            .and_then(|image| pen.poster(image))
    });
    // Beside a poster the title is set smaller, in a narrower column.
    let (size, width, first) = if poster.is_some() {
        (18.0, 28, 64.0)
    } else {
        (22.0, 38, 70.0)
    };
    let mut y = first;
    for line in wrap(&sheet.event_title, width).into_iter().take(2) {
        pen.text(MARGIN, y, &fonts.bold, size, (255, 255, 255), &line);
        y += size + 4.0;
    }

    // Left column: the facts; right column: the QR and its reference.
    let column = 40;
    let mut y = 152.0;
    for (label, value) in [
        ("DATA E HORA / DATE AND TIME", &sheet.when),
        ("LOCAL / VENUE", &sheet.venue),
        ("LUGAR / PLACE", &sheet.place),
        ("CATEGORIA / CATEGORY", &sheet.category),
        ("TIPO / TYPE", &sheet.ticket_type),
        ("TITULAR / HOLDER", &sheet.holder),
        ("VALOR / PRICE", &sheet.price),
    ] {
        y = pen.field(MARGIN, y, label, value, column);
    }
    let qr_x = PAGE_WIDTH - MARGIN - QR_SIDE;
    pen.qr(qr_x, 140.0, &sheet.code)?;
    pen.text(
        qr_x,
        140.0 + QR_SIDE + 18.0,
        &fonts.regular,
        8.5,
        MUTED,
        "REFERÊNCIA / REFERENCE",
    );
    pen.text(
        qr_x,
        140.0 + QR_SIDE + 36.0,
        &fonts.regular,
        15.0,
        INK,
        &sheet.reference,
    );
    pen.text(
        qr_x,
        140.0 + QR_SIDE + 54.0,
        &fonts.regular,
        8.5,
        MUTED,
        "Apresente este QR na entrada.",
    );

    // The order and the full code, for a gate that must type it.
    let y = y.max(140.0 + QR_SIDE + 80.0) + 6.0;
    pen.rect(Rect::from_xywh(MARGIN, y, inner, 0.8), (0xd0, 0xd4, 0xda));
    let y = pen.field(
        MARGIN,
        y + 20.0,
        "PEDIDO / ORDER",
        &sheet.order_id,
        column * 2,
    );
    pen.text(MARGIN, y, &fonts.regular, 8.5, MUTED, "CÓDIGO / CODE");
    let mut y = y + 13.0;
    for line in wrap(&sheet.code, 64) {
        pen.text(MARGIN, y, &fonts.regular, 8.0, INK, &line);
        y += 11.0;
    }

    // The terms, at the foot.
    let mut y = (y + 24.0).max(PAGE_HEIGHT - 190.0);
    pen.rect(Rect::from_xywh(MARGIN, y, inner, 0.8), (0xd0, 0xd4, 0xda));
    y += 18.0;
    pen.text(MARGIN, y, &fonts.bold, 9.0, INK, "Termos / Terms");
    y += 14.0;
    for term in &sheet.terms {
        for line in wrap(term, 100) {
            if y > PAGE_HEIGHT - MARGIN {
                break;
            }
            pen.text(MARGIN, y, &fonts.regular, 7.5, MUTED, &line);
            y += 10.0;
        }
    }
    Ok(())
}

/// A PDF with one A4 page per sheet, titled `title`.
pub fn render(title: &str, sheets: &[TicketSheet]) -> Result<Vec<u8>, PrintError> {
    // Content streams stay uncompressed: deflating them was half of a ticket's rendering time,
    // for a page that is a few kilobytes of drawing operators.
    let mut document = Document::new_with(SerializeSettings {
        compress_content_streams: false,
        ..SerializeSettings::default()
    });
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .creator("bilheteria".to_owned())
            .language("pt-BR".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or(PrintError::Pdf("page size".into()))?;
    for sheet in sheets {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let drawn = draw_page(&mut surface, sheet);
        surface.finish();
        page.finish();
        drawn?;
    }
    document
        .finish()
        .map_err(|error| PrintError::Pdf(format!("{error:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sheet() -> TicketSheet {
        TicketSheet {
            event_title: "Grande Show de Verão com a Orquestra Sinfônica do Recife".into(),
            when: "sábado, 6 de março de 2027, 20:00 (UTC−03:00)".into(),
            venue: "Estádio — Recife".into(),
            place: "Setor Cadeiras · Fila R0 · Assento 1".into(),
            category: "Plateia".into(),
            ticket_type: "Inteira".into(),
            holder: "Ana Souza".into(),
            order_id: "0190a0a0-0000-7000-8000-000000000000".into(),
            price: "R$ 120,00".into(),
            code: "A".repeat(159),
            reference: "7F3A-91C2-0B44".into(),
            terms: vec!["Válido para uma entrada.".into()],
            poster: None,
        }
    }

    #[test]
    fn a_sheet_per_page_with_its_text_embedded() {
        let pdf = render("Ingressos", &[sheet(), sheet()]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 2"), "two pages");
        assert!(text.contains("/FontFile2"), "the font is embedded");
        if let Ok(path) = std::env::var("BILHETERIA_PRINT_SAMPLE") {
            std::fs::write(path, &pdf).unwrap();
        }
    }

    #[test]
    fn a_poster_is_embedded_once_for_every_sheet() {
        let jpeg = Arc::new(tiny_jpeg());
        let mut with = sheet();
        with.poster = Some(jpeg);
        let without = render("Ingressos", &[sheet(), sheet()]).unwrap();
        let pdf = render("Ingressos", &[with.clone(), with]).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(
            text.matches("/Subtype/Image").count(),
            1,
            "one image object for both pages"
        );
        assert!(text.contains("/DCTDecode"), "the JPEG is embedded as it is");
        assert!(!String::from_utf8_lossy(&without).contains("/Subtype/Image"));
    }

    fn tiny_jpeg() -> Vec<u8> {
        let grey = image::GrayImage::from_pixel(40, 30, image::Luma([128]));
        let mut out = std::io::Cursor::new(Vec::new());
        grey.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    #[test]
    fn lines_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(wrap("um dois três", 7), ["um dois", "três"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert!(wrap("", 10).is_empty());
    }

    #[test]
    fn a_qr_png_draws_every_module_inside_its_quiet_zone() {
        let code = "BH1.some-signed-code";
        let png_bytes = qr_png(code, 5).unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        // One bit a pixel on the wire; read back as 0 (black) and 255 (white).
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.width, info.height);
        let side = info.width as usize;
        let expected = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M).unwrap();
        let width = expected.width();
        assert_eq!(
            side,
            (width + 8) * 5,
            "four modules of quiet zone each side"
        );
        let colors = expected.to_colors();
        for y in 0..side {
            for x in 0..side {
                let (row, column) = (y / 5, x / 5);
                let inside = (4..width + 4).contains(&row) && (4..width + 4).contains(&column);
                let dark = inside && colors[(row - 4) * width + column - 4] == qrcode::Color::Dark;
                assert_eq!(
                    pixels[y * side + x],
                    if dark { 0 } else { 255 },
                    "at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn a_code_too_long_for_a_qr_is_an_error_not_a_panic() {
        let mut long = sheet();
        long.code = "x".repeat(5_000);
        assert!(matches!(render("x", &[long]), Err(PrintError::CodeTooLong)));
    }
}
