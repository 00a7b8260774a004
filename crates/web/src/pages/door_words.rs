//! The door's words, in Brazilian Portuguese and in English: its pages, the script's live
//! messages (handed to it in the page), and one title and hint per `DoorOutcome`.

use bilheteria_domain::gate::DoorOutcome;
use bilheteria_domain::locale::Language;

macro_rules! door_words {
    ($($name:ident: $pt:literal, $en:literal;)*) => {
        /// The door's fixed strings in one language.
        pub struct DoorWords { $(pub $name: &'static str,)* }
        pub const PT: DoorWords = DoorWords { $($name: $pt,)* };
        pub const EN: DoorWords = DoorWords { $($name: $en,)* };
        impl DoorWords {
            /// Every string with its name, for the script (`data-*` of the page).
            pub fn all(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name),)*]
            }
        }
    };
}

door_words! {
    door: "Portaria", "Door";
    door_intro: "Confira os ingressos na entrada com a câmera do celular. Sem internet, o celular confere sozinho e envia as leituras quando a rede voltar.", "Check tickets at the entrance with the phone's camera. With no network, the phone checks on its own and sends its scans when the network returns.";
    choose_session: "Escolha a sessão", "Choose the session";
    no_sessions: "Nenhuma sessão para conferir nesta organização.", "No session to check in this organization.";
    open_door: "Abrir a portaria", "Open the door";
    gate: "Portão", "Gate";
    gate_hint: "O nome do seu portão, como a equipe o chama (\"Portão A\").", "Your gate's name, as the team calls it (\"Gate A\").";
    default_gate: "Portão 1", "Gate 1";
    code: "Código do ingresso", "Ticket code";
    code_hint: "Leia o QR com a câmera ou digite o código impresso abaixo dele.", "Scan the QR with the camera or type the code printed below it.";
    check: "Conferir", "Check";
    camera_start: "Ligar a câmera", "Start the camera";
    camera_stop: "Desligar a câmera", "Stop the camera";
    camera_none: "Câmera indisponível: digite o código.", "No camera: type the code.";
    camera_label: "Imagem da câmera", "Camera view";
    online: "Conectado: cada leitura é conferida no servidor.", "Online: each scan is checked with the server.";
    offline: "Sem internet: o celular confere sozinho.", "Offline: the phone checks on its own.";
    waiting: "leituras esperando envio", "scans waiting to be sent";
    synced: "Leituras enviadas", "Scans sent";
    bundle_at: "Lista de ingressos de", "Ticket list as of";
    no_bundle: "Sem lista de ingressos neste celular: conecte-se uma vez para conferir sem internet.", "No ticket list on this phone: go online once to check without network.";
    counts: "Entradas por portão", "Admissions per gate";
    counts_none: "Ninguém entrou ainda.", "Nobody has come in yet.";
    counts_total: "Total", "Total";
    counts_gate: "Portão", "Gate";
    counts_admitted: "Entradas", "Admitted";
    counts_refresh: "Atualizar", "Refresh";
    used_at: "Entrou às {at} pelo {gate}.", "Came in at {at} through {gate}.";
    used_here: "Já entrou por este celular às {at}.", "Already let in on this phone at {at}.";
    sold_later: "Vendido após a última lista: a assinatura confere.", "Sold after the last list: its signature checks out.";
    place: "Lugar", "Place";
    again: "Próximo ingresso", "Next ticket";
    sync_conflict: "Outro portão registrou antes este ingresso que este celular liberou:", "Another gate recorded first a ticket this phone let in:";
}

pub fn of(lang: Language) -> &'static DoorWords {
    match lang {
        Language::PtBr => &PT,
        Language::En => &EN,
    }
}

/// An outcome's big word, and what the staff does about it.
pub fn outcome(lang: Language, outcome: DoorOutcome) -> (&'static str, &'static str) {
    use DoorOutcome as O;
    match (lang, outcome) {
        (Language::PtBr, O::Admitted) => ("ENTRADA LIBERADA", "Pode entrar."),
        (Language::En, O::Admitted) => ("ADMITTED", "Let them in."),
        (Language::PtBr, O::CheckDocument) => (
            "CONFIRA O DOCUMENTO",
            "Meia-entrada: peça o documento que dá direito ao desconto antes de liberar.",
        ),
        (Language::En, O::CheckDocument) => (
            "CHECK THE DOCUMENT",
            "Half price: ask for the document that entitles to it before letting them in.",
        ),
        (Language::PtBr, O::AlreadyUsed) => ("JÁ ENTROU", "Este ingresso já foi usado."),
        (Language::En, O::AlreadyUsed) => ("ALREADY USED", "This ticket has been used."),
        (Language::PtBr, O::Revoked) => (
            "INGRESSO CANCELADO",
            "Cancelado, ou o código foi trocado numa transferência ou revenda.",
        ),
        (Language::En, O::Revoked) => (
            "TICKET REVOKED",
            "Cancelled, or its code was replaced by a transfer or a resale.",
        ),
        (Language::PtBr, O::WrongSession) => {
            ("OUTRA SESSÃO", "Este ingresso é de outra sessão ou evento.")
        }
        (Language::En, O::WrongSession) => (
            "WRONG SESSION",
            "This ticket is for another session or event.",
        ),
        (Language::PtBr, O::Invalid) => (
            "CÓDIGO INVÁLIDO",
            "Não é um ingresso nosso, ou o código foi lido errado.",
        ),
        (Language::En, O::Invalid) => (
            "INVALID CODE",
            "Not one of our tickets, or the code was misread.",
        ),
        (Language::PtBr, O::ScreenRequired) => (
            "MOSTRE NA TELA",
            "Esta sessão só aceita o código que muda, aberto no celular do comprador.",
        ),
        (Language::En, O::ScreenRequired) => (
            "SHOW IT ON SCREEN",
            "This session takes only the changing code, opened on the holder's phone.",
        ),
        (Language::PtBr, O::ScreenExpired) => (
            "CÓDIGO DE TELA VENCIDO",
            "Parece um print de tela: peça para abrir o ingresso ao vivo.",
        ),
        (Language::En, O::ScreenExpired) => (
            "SCREEN CODE EXPIRED",
            "Looks like a screenshot: ask them to open the ticket live.",
        ),
    }
}

/// "Entrou às 20:01 pelo Portão B."
pub fn used_at(lang: Language, at: &str, gate: &str) -> String {
    of(lang).used_at.replace("{at}", at).replace("{gate}", gate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_door_outcome_is_worded_in_both_languages() {
        for lang in [Language::PtBr, Language::En] {
            let mut titles = HashSet::new();
            for door_outcome in DoorOutcome::ALL {
                let (title, hint) = outcome(lang, door_outcome);
                assert!(!title.trim().is_empty() && !hint.trim().is_empty());
                assert!(titles.insert(title), "{door_outcome:?}: {title} twice");
            }
        }
        for door_outcome in DoorOutcome::ALL {
            assert_ne!(
                outcome(Language::PtBr, door_outcome),
                outcome(Language::En, door_outcome),
                "{door_outcome:?}"
            );
        }
        assert_eq!(
            used_at(Language::PtBr, "20:01", "Portão B"),
            "Entrou às 20:01 pelo Portão B."
        );
        assert_eq!(PT.all().len(), EN.all().len());
    }
}
