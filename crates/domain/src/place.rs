//! Where a ticket lets its holder in, and what an order line bought, as facts; and how people
//! read them (B3): one wording function per language, used by the API (in the request's
//! language), the pages, the mails and the printed tickets (in their reader's).

use crate::half_price::TicketType;
use crate::locale::Language;
use crate::tickets::SeatLabel;

/// A place: a seat, or standing room in a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Seat {
        section: String,
        row: String,
        number: i64,
    },
    /// Standing room in `section`: unnamed where only a ticket is at hand, since a ticket
    /// names its seat but not its standing section.
    Standing { section: Option<String> },
}

impl Place {
    /// A ticket's place: its seat, or standing room in `section` when its name is known.
    pub fn of(seat: Option<&SeatLabel>, section: Option<&str>) -> Self {
        match seat {
            Some(seat) => Place::Seat {
                section: seat.section.clone(),
                row: seat.row.clone(),
                number: seat.number,
            },
            None => Place::Standing {
                section: section.map(str::to_owned),
            },
        }
    }

    /// "Plateia, fila A, assento 3", "Pista (em pé)".
    pub fn words(&self, lang: Language) -> String {
        match lang {
            Language::PtBr => self.pt(),
            Language::En => self.en(),
        }
    }

    fn pt(&self) -> String {
        match self {
            Place::Seat {
                section,
                row,
                number,
            } => format!("{section}, fila {row}, assento {number}"),
            Place::Standing {
                section: Some(section),
            } => format!("{section} (em pé)"),
            Place::Standing { section: None } => "Em pé".to_owned(),
        }
    }

    fn en(&self) -> String {
        match self {
            Place::Seat {
                section,
                row,
                number,
            } => format!("{section}, row {row}, seat {number}"),
            Place::Standing {
                section: Some(section),
            } => format!("{section} (standing)"),
            Place::Standing { section: None } => "Standing".to_owned(),
        }
    }
}

/// What an order line bought, as facts (whether a place is full or half price is the line's
/// `ticket_type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bought {
    /// A seat, or standing room (the line's quantity of places), new or on resale.
    Place { place: Place, resale: bool },
    /// A product, by the name it had when it was bought.
    Product { name: String },
    /// A place's line written before lines kept their facts, whose place could not be found
    /// again: the words it was written with.
    Written(String),
}

impl Bought {
    /// An order line as people read it: "Revenda: Plateia, fila A, assento 1 (meia-entrada)".
    pub fn words(&self, lang: Language, ticket_type: Option<TicketType>) -> String {
        let half = ticket_type == Some(TicketType::Half);
        match lang {
            Language::PtBr => self.pt(half),
            Language::En => self.en(half),
        }
    }

    fn pt(&self, half: bool) -> String {
        self.said(half, Place::pt, "Revenda", "meia-entrada")
    }

    fn en(&self, half: bool) -> String {
        self.said(half, Place::en, "Resale", "half price")
    }

    /// The line with a language's words for its place, for a resale and for half price.
    fn said(
        &self,
        half: bool,
        place: fn(&Place) -> String,
        resale: &str,
        half_price: &str,
    ) -> String {
        match self {
            Bought::Place {
                place: bought,
                resale: resold,
            } => {
                let mut line = place(bought);
                if *resold {
                    line = format!("{resale}: {line}");
                }
                if half {
                    line = format!("{line} ({half_price})");
                }
                line
            }
            Bought::Product { name } => name.clone(),
            Bought::Written(words) => words.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat() -> Place {
        Place::Seat {
            section: "Plateia".into(),
            row: "A".into(),
            number: 1,
        }
    }

    #[test]
    fn places_are_read_in_each_language() {
        assert_eq!(seat().words(Language::PtBr), "Plateia, fila A, assento 1");
        assert_eq!(seat().words(Language::En), "Plateia, row A, seat 1");
        let pista = Place::Standing {
            section: Some("Pista".into()),
        };
        assert_eq!(pista.words(Language::PtBr), "Pista (em pé)");
        assert_eq!(pista.words(Language::En), "Pista (standing)");
        let unnamed = Place::of(None, None);
        assert_eq!(unnamed.words(Language::PtBr), "Em pé");
        assert_eq!(unnamed.words(Language::En), "Standing");
    }

    #[test]
    fn lines_say_resale_and_half_price_in_each_language() {
        let resold = Bought::Place {
            place: seat(),
            resale: true,
        };
        assert_eq!(
            resold.words(Language::PtBr, Some(TicketType::Half)),
            "Revenda: Plateia, fila A, assento 1 (meia-entrada)"
        );
        assert_eq!(
            resold.words(Language::En, Some(TicketType::Half)),
            "Resale: Plateia, row A, seat 1 (half price)"
        );
        let new = Bought::Place {
            place: seat(),
            resale: false,
        };
        assert_eq!(
            new.words(Language::PtBr, Some(TicketType::Full)),
            "Plateia, fila A, assento 1"
        );
        let water = Bought::Product {
            name: "Água".into(),
        };
        for lang in Language::ALL {
            assert_eq!(water.words(lang, None), "Água", "a name is not translated");
            assert_eq!(
                Bought::Written("Plateia, row A, seat 1".into()).words(lang, None),
                "Plateia, row A, seat 1"
            );
        }
    }
}
