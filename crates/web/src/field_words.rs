//! What is wrong with a field, said to people: the domain's [`FieldProblem`] worded in Brazilian
//! Portuguese and in English, one exhaustive function per language, so that a problem without
//! wording does not compile. The API sends it as a field error's `message` (in the request's
//! language), the pages beside the field's label; money is written as money.

use bilheteria_domain::FieldProblem;
use bilheteria_domain::locale::{Language, brl, brl_en};

/// `problem` in `lang`: what a field error's `message` says.
pub fn message(lang: Language, problem: &FieldProblem) -> String {
    match lang {
        Language::PtBr => pt(problem),
        Language::En => en(problem),
    }
}

/// A character as a message shows it: itself in quotes, or its code point when it cannot be
/// seen (a tab, a space, a control character).
fn shown(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

/// "`a`, `b` or `c`" with `or` in the reader's language.
fn one_of(choices: &[&str], or: &str) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("`{c}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {or} {last}", rest.join(", ")),
    }
}

fn pt(problem: &FieldProblem) -> String {
    use FieldProblem as P;
    match problem {
        P::Empty => "não pode ficar vazio".to_owned(),
        P::TooShort { min } => format!("deve ter pelo menos {min} caracteres"),
        P::TooLong { max } => format!("deve ter no máximo {max} caracteres"),
        P::ControlCharacters => "não pode ter caracteres de controle".to_owned(),
        P::InvisibleCharacters => {
            "não pode ter caracteres invisíveis ou que mudam a direção do texto".to_owned()
        }
        P::InvalidCharacters { found } => format!(
            "pode ter apenas letras sem acento, algarismos e - _ . : (tem {})",
            shown(*found)
        ),
        P::LengthOutOfRange { min, max, len } => {
            format!("deve ter de {min} a {max} caracteres (tem {len})")
        }
        P::MostlySpaces { min } => {
            format!("deve ter pelo menos {min} caracteres que não sejam espaços")
        }
        P::NotAnEmail => "não é um endereço de e-mail".to_owned(),
        P::InvalidDocument => {
            "não é um CPF (11 dígitos) nem um CNPJ (14 dígitos) com dígitos verificadores corretos"
                .to_owned()
        }
        P::OwnAddress => {
            "é o seu próprio endereço: um ingresso é transferido para outra pessoa".to_owned()
        }
        P::WrongPassword => "não é a senha atual da conta".to_owned(),
        P::OutOfRange { min, max } => format!("deve estar entre {min} e {max}"),
        P::AmountOutOfRange {
            min_cents,
            max_cents,
        } => format!("deve estar entre {} e {}", brl(*min_cents), brl(*max_cents)),
        P::NotForFree => format!(
            "deve ser de pelo menos {}: para dar um ingresso, transfira-o",
            brl(1)
        ),
        P::QuotaOutOfRange { min } => {
            format!("deve estar entre {min} (o mínimo da lei) e 100")
        }
        P::NotAWholeNumber => "deve ser um número inteiro".to_owned(),
        P::NotAnAmount => "escreva um valor como 45,50".to_owned(),
        P::TotalTooLarge => "o total passa do que se pode cobrar".to_owned(),
        P::CountOutOfRange { min, max } => format!("deve ter de {min} a {max} itens"),
        P::TooMany { max } => format!("deve ter no máximo {max} itens"),
        P::TooManySeats { max } => format!("um local pode ter no máximo {max} assentos"),
        P::Duplicate => "repete um item anterior".to_owned(),
        P::SectionInTwoCategories => "um setor pode pertencer a uma só categoria".to_owned(),
        P::PriceDiffersInCategory => {
            "setores da mesma categoria têm o mesmo preço: mude o preço ou o nome da categoria"
                .to_owned()
        }
        P::NotOneOf { choices } => format!("deve ser {}", one_of(choices, "ou")),
        P::NotAnId => "não é um identificador".to_owned(),
        P::Unknown => "não existe".to_owned(),
        P::NotAnInstant => {
            "deve ser uma data e hora RFC 3339, como 2026-12-01T21:00:00Z".to_owned()
        }
        P::InvalidCursor => "não é um cursor válido".to_owned(),
        P::NotACurrency => "deve ser um código ISO 4217 de três letras, como BRL".to_owned(),
        P::NotATimeZone => {
            "deve ser um fuso horário IANA, como America/Sao_Paulo ou America/Manaus".to_owned()
        }
        P::InvalidTag { tag } => {
            format!("a etiqueta `{tag}` deve ter de 1 a 40 letras, algarismos ou hífens")
        }
        P::UnknownCategory => "não é uma categoria conhecida".to_owned(),
        P::UnknownSince => "deve ser o next_since de um pacote anterior".to_owned(),
        P::NotInFuture => "deve estar no futuro".to_owned(),
        P::InFuture => "está no futuro".to_owned(),
        P::NotBeforeStart => "deve ser antes do início da sessão".to_owned(),
        P::SectionNotOfVenue { section } => {
            format!("o setor {section} não é do local do evento")
        }
        P::NotAStandingSection => "não é um setor de pista à venda nesta sessão".to_owned(),
        P::SeatNotOnSale { seat } => format!("o assento {seat} não está à venda nesta sessão"),
        P::NotOffered => "não é oferecido com este evento".to_owned(),
        P::RowsOrCapacity => {
            "informe `rows` (setor com assentos) ou `capacity` (setor em pé), um dos dois"
                .to_owned()
        }
        P::SectionsOnSale => {
            "uma sessão deste local vende os setores retirados: mantenha ao menos tantos setores quanto antes"
                .to_owned()
        }
        P::SeatsOrStanding => {
            "informe `seat_ids` (assentos) ou `section_id` e `quantity` (pista), um dos dois"
                .to_owned()
        }
        P::HoldOrListing => "informe `hold_id` ou `listing_id`, um dos dois".to_owned(),
        P::NotAmongSeats => "devem ser assentos de `seat_ids`".to_owned(),
        P::HalfPriceBySeat => {
            "uma reserva de assentos diz quais assentos são meia-entrada".to_owned()
        }
        P::HalfPriceByQuantity => {
            "uma reserva de pista diz quantos lugares são meia-entrada".to_owned()
        }
        P::OnlyForHalfPrice => "só vale para lugares de meia-entrada".to_owned(),
        P::PixTakesNoToken => "um pagamento por Pix não leva token".to_owned(),
        P::InstallmentsByCardOnly => "só o cartão paga em parcelas".to_owned(),
        P::NotAPaymentToken => "deve ser um token do provedor de pagamentos".to_owned(),
        P::ResaleTicketOnly => "um pedido da revenda compra só o ingresso anunciado".to_owned(),
        P::MissingField { name } => format!("falta o campo `{name}`"),
        P::UnknownField { name } => format!("o campo `{name}` não é aceito aqui"),
        P::Invalid => "não é um valor válido aqui".to_owned(),
    }
}

fn en(problem: &FieldProblem) -> String {
    use FieldProblem as P;
    match problem {
        P::Empty => "must not be empty".to_owned(),
        P::TooShort { min } => format!("must be at least {min} characters"),
        P::TooLong { max } => format!("must be at most {max} characters"),
        P::ControlCharacters => "must not contain control characters".to_owned(),
        P::InvisibleCharacters => {
            "must not contain invisible or direction-changing characters".to_owned()
        }
        P::InvalidCharacters { found } => format!(
            "may contain only ASCII letters, digits and - _ . : (found {})",
            shown(*found)
        ),
        P::LengthOutOfRange { min, max, len } => {
            format!("must be {min} to {max} characters long (this one has {len})")
        }
        P::MostlySpaces { min } => {
            format!("must have at least {min} characters that are not spaces")
        }
        P::NotAnEmail => "must be an email address".to_owned(),
        P::InvalidDocument => {
            "must be a CPF (11 digits) or a CNPJ (14 digits) with correct check digits".to_owned()
        }
        P::OwnAddress => "is your own address: a ticket is transferred to someone else".to_owned(),
        P::WrongPassword => "is not the account's password".to_owned(),
        P::OutOfRange { min, max } => format!("must be between {min} and {max}"),
        P::AmountOutOfRange {
            min_cents,
            max_cents,
        } => format!(
            "must be between {} and {}",
            brl_en(*min_cents),
            brl_en(*max_cents)
        ),
        P::NotForFree => format!(
            "must be at least {}: a ticket is not given away here (transfer it)",
            brl_en(1)
        ),
        P::QuotaOutOfRange { min } => {
            format!("must be between {min} (the law's minimum) and 100")
        }
        P::NotAWholeNumber => "must be a whole number".to_owned(),
        P::NotAnAmount => "write an amount like 45.50".to_owned(),
        P::TotalTooLarge => "the total is more than can be charged".to_owned(),
        P::CountOutOfRange { min, max } => format!("must have {min} to {max} items"),
        P::TooMany { max } => format!("must have at most {max} items"),
        P::TooManySeats { max } => format!("a venue may have at most {max} seats"),
        P::Duplicate => "repeats an earlier item".to_owned(),
        P::SectionInTwoCategories => "a section may belong to only one category".to_owned(),
        P::PriceDiffersInCategory => {
            "sections of one category have one price: change the price or the category's name"
                .to_owned()
        }
        P::NotOneOf { choices } => format!("must be {}", one_of(choices, "or")),
        P::NotAnId => "is not an id".to_owned(),
        P::Unknown => "does not exist".to_owned(),
        P::NotAnInstant => "must be an RFC 3339 date-time, e.g. 2026-12-01T21:00:00Z".to_owned(),
        P::InvalidCursor => "is not a valid cursor".to_owned(),
        P::NotACurrency => "must be a three-letter ISO 4217 code, such as BRL".to_owned(),
        P::NotATimeZone => {
            "must be an IANA time zone, such as America/Sao_Paulo or America/Manaus".to_owned()
        }
        P::InvalidTag { tag } => format!("tag `{tag}` must be 1 to 40 letters, digits or dashes"),
        P::UnknownCategory => "is not a known category".to_owned(),
        P::UnknownSince => "must be the next_since of an earlier bundle".to_owned(),
        P::NotInFuture => "must be in the future".to_owned(),
        P::InFuture => "is in the future".to_owned(),
        P::NotBeforeStart => "must be before the session starts".to_owned(),
        P::SectionNotOfVenue { section } => {
            format!("section {section} is not a section of the event's venue")
        }
        P::NotAStandingSection => "is not a standing section on sale in this session".to_owned(),
        P::SeatNotOnSale { seat } => format!("seat {seat} is not on sale in this session"),
        P::NotOffered => "is not offered with this event".to_owned(),
        P::RowsOrCapacity => {
            "give either `rows` (a seated section) or `capacity` (a standing section)".to_owned()
        }
        P::SectionsOnSale => {
            "a session of this venue sells the sections taken away: keep at least as many sections as before"
                .to_owned()
        }
        P::SeatsOrStanding => {
            "give either `seat_ids` (seated) or `section_id` and `quantity` (standing)".to_owned()
        }
        P::HoldOrListing => "give either `hold_id` or `listing_id`".to_owned(),
        P::NotAmongSeats => "must be seats of `seat_ids`".to_owned(),
        P::HalfPriceBySeat => "a seated hold names its half-price seats".to_owned(),
        P::HalfPriceByQuantity => "a standing hold gives a half_price_quantity".to_owned(),
        P::OnlyForHalfPrice => "applies only to half-price places".to_owned(),
        P::PixTakesNoToken => "a Pix payment takes no token".to_owned(),
        P::InstallmentsByCardOnly => "only cards pay in installments".to_owned(),
        P::NotAPaymentToken => "must be a payment provider token".to_owned(),
        P::ResaleTicketOnly => "a resale order buys the listed ticket only".to_owned(),
        P::MissingField { name } => format!("missing field `{name}`"),
        P::UnknownField { name } => format!("unknown field `{name}`"),
        P::Invalid => "is not a valid value here".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_problem_is_worded_in_both_languages() {
        for problem in FieldProblem::examples() {
            let (pt, en) = (
                message(Language::PtBr, &problem),
                message(Language::En, &problem),
            );
            let code = problem.code();
            assert!(!pt.trim().is_empty(), "{code}: no pt-BR wording");
            assert!(!en.trim().is_empty(), "{code}: no English wording");
            assert_ne!(pt, en, "{code}: the pt-BR wording is the English one");
            for (lang, worded) in [("pt-BR", &pt), ("en", &en)] {
                for (name, value) in problem.params() {
                    let said = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    assert!(
                        value.is_array() || worded.contains(&said),
                        "{code} in {lang}: {worded:?} leaves out its {name} ({said})"
                    );
                }
            }
        }
    }

    #[test]
    fn money_is_worded_as_money() {
        let price = FieldProblem::AmountOutOfRange {
            min_cents: 0,
            max_cents: 16_000,
        };
        assert_eq!(
            message(Language::PtBr, &price),
            "deve estar entre R$ 0,00 e R$ 160,00"
        );
        assert_eq!(
            message(Language::En, &price),
            "must be between R$0.00 and R$160.00"
        );
    }

    #[test]
    fn unseen_characters_are_named_by_code_point() {
        let tab = FieldProblem::InvalidCharacters { found: '\t' };
        assert!(message(Language::En, &tab).ends_with("(found U+0009)"));
        let accent = FieldProblem::InvalidCharacters { found: 'é' };
        assert!(message(Language::PtBr, &accent).ends_with("(tem 'é')"));
        let choice = FieldProblem::NotOneOf {
            choices: &["pending", "sent", "dead"],
        };
        assert_eq!(
            message(Language::PtBr, &choice),
            "deve ser `pending`, `sent` ou `dead`"
        );
    }
}
