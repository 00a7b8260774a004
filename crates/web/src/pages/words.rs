//! Every string of the pages, in Brazilian Portuguese and in English, side by side: a string
//! missing in one language does not compile. Phrases with numbers in them are functions below.

use crate::api::error::ProblemCode;
use crate::field_words;
use bilheteria_domain::FieldError;
use bilheteria_domain::catalog::EventStatus;
use bilheteria_domain::half_price::Eligibility;
use bilheteria_domain::locale::Language;
use bilheteria_domain::organization::MemberRole;
use bilheteria_domain::sales::Installments;

macro_rules! words {
    ($($name:ident: $pt:literal, $en:literal;)*) => {
        /// The fixed strings of the pages in one language.
        pub struct Words { $(pub $name: &'static str,)* }
        pub const PT: Words = Words { $($name: $pt,)* };
        pub const EN: Words = Words { $($name: $en,)* };
    };
}

words! {
    language_name: "Português", "English";
    skip_to_content: "Pular para o conteúdo", "Skip to content";
    nav_label: "Navegação principal", "Main navigation";
    nav_events: "Eventos", "Events";
    nav_tickets: "Meus ingressos", "My tickets";
    nav_orders: "Meus pedidos", "My orders";
    nav_login: "Entrar", "Log in";
    nav_register: "Criar conta", "Sign up";
    nav_logout: "Sair", "Log out";
    footer: "bilheteria — ingressos vendidos com justiça: ninguém compra o mesmo lugar duas vezes.", "bilheteria — tickets sold fairly: no place is ever sold twice.";
    back_home: "Voltar aos eventos", "Back to the events";
    home_title: "Próximos eventos", "Upcoming events";
    search_words: "Buscar", "Search";
    search_category: "Categoria", "Category";
    unknown_category: "Não conhecemos essa categoria: escolha uma da lista.", "We do not know that category: pick one from the list.";
    search_city: "Cidade", "City";
    search_from: "De", "From";
    search_to: "Até", "To";
    search_button: "Buscar", "Search";
    no_events: "Nenhum evento encontrado. Tente outras palavras ou datas.", "No events found. Try other words or dates.";
    price_from: "a partir de", "from";
    more_events: "Mais eventos", "More events";
    more: "Mais", "More";
    sessions: "Sessões", "Sessions";
    no_sessions: "Nenhuma sessão à venda por enquanto.", "No sessions on sale yet.";
    prices: "Preços por categoria", "Prices per category";
    category: "Categoria", "Category";
    full_price: "Inteira", "Full price";
    half_price: "Meia-entrada", "Half price";
    products: "Produtos do evento", "Event products";
    choose_section: "Escolha o setor", "Choose a section";
    section: "Setor", "Section";
    available: "Disponíveis", "Available";
    seat_available: "livre", "free";
    seat_wheelchair: "lugar para cadeira de rodas", "wheelchair space";
    seat_companion: "assento de acompanhante", "companion seat";
    seat_picked: "escolhido", "picked";
    seat_held: "reservado", "held";
    seat_sold: "vendido", "sold";
    seat_keyboard_hint: "Use as setas para andar pelos assentos e Espaço ou Enter para escolher.", "Use the arrow keys to move between seats and Space or Enter to pick one.";
    picked_count: "Assentos escolhidos: {n}", "Seats picked: {n}";
    seat_list: "Assentos livres", "Free seats";
    section_sold_out: "Este setor está esgotado.", "This section is sold out.";
    quantity: "Quantidade", "Quantity";
    half_price_title: "Meia-entrada", "Half price (meia-entrada)";
    half_price_explained: "Estudantes, pessoas com deficiência e seu acompanhante, jovens de baixa renda e idosos pagam meia. Diga quantos dos ingressos são meia e o seu direito; o documento é conferido na entrada.", "Students, people with disabilities and their companion, low-income youth and seniors pay half. Say how many of the tickets are half price and on what ground; the document is checked at the gate.";
    half_count: "Quantos são meia-entrada", "How many are half price";
    eligibility: "Direito à meia", "Ground for half price";
    hold_button: "Reservar e ir para o pagamento", "Hold and go to payment";
    queue_title: "Fila de espera", "Waiting room";
    queue_join: "Entrar na fila", "Join the line";
    queue_how_title: "Como a fila funciona", "How the line works";
    queue_how: "Quem chega antes da abertura das vendas entra num sorteio: na abertura, a ordem de todos esses é embaralhada ao acaso, então não adianta chegar horas antes. Quem chega depois entra no fim da fila. As pessoas são chamadas aos poucos, no ritmo em que o sistema atende bem.", "Everyone who arrives before sales open is shuffled at random when they open, so arriving hours early does not help. Whoever arrives later joins the end of the line. People are let in a few at a time, at the pace the box office serves well.";
    queue_keep_open: "Deixe esta página aberta: ela se atualiza sozinha e leva você ao mapa de assentos quando chegar a sua vez.", "Keep this page open: it updates by itself and takes you to the seat map when your turn comes.";
    checkout_title: "Pagamento", "Checkout";
    hold_expired_now: "A reserva expirou. Escolha os lugares de novo.", "The hold expired. Pick your places again.";
    your_places: "Seus lugares", "Your places";
    place: "Lugar", "Place";
    ticket_type: "Tipo", "Type";
    price: "Preço", "Price";
    item: "Item", "Item";
    tickets_total: "Total dos ingressos", "Tickets total";
    total: "Total", "Total";
    payment: "Forma de pagamento", "Payment";
    pay_card: "Cartão de crédito", "Credit card";
    pay_pix: "Pix", "Pix";
    test_card: "Cartão de teste", "Test card";
    card_approved: "Aprovado", "Approved";
    card_declined: "Recusado", "Declined";
    card_timeout: "Sem resposta a tempo", "No answer in time";
    card_token: "Token do cartão", "Card token";
    installments: "Parcelas", "Installments";
    pay_button: "Pagar", "Pay";
    paying: "Pagando…", "Paying…";
    release_hold: "Desistir e liberar os lugares", "Give up and release the places";
    pix_title: "Pague com Pix", "Pay with Pix";
    pix_copy_paste: "Pix copia e cola", "Pix copy and paste";
    copy: "Copiar código", "Copy code";
    copied: "Copiado!", "Copied!";
    pix_expired_now: "O Pix expirou.", "The Pix expired.";
    pix_simulate: "Simular o pagamento pelo banco (teste)", "Simulate the bank's payment (test)";
    download_pdf: "Baixar PDF", "Download PDF";
    wallet_title: "Seus ingressos", "Your tickets";
    wallet_heading: "Link dos ingressos", "Tickets link";
    wallet_text: "Este link mostra os ingressos deste pedido sem precisar entrar na conta (útil se o celular saiu da conta). Depois de aberto uma vez, ele continua abrindo sem internet. Quem tiver o link vê os códigos: não o repasse.", "This link shows this order's tickets without logging in (handy when the phone has been logged out). Once opened, it keeps opening offline. Whoever has the link sees the codes: do not pass it on.";
    wallet_label: "Link dos ingressos", "Tickets link";
    copy_link: "Copiar link", "Copy link";
    wallet_renew: "Gerar um novo link (o atual deixa de funcionar)", "Make a new link (the current one stops working)";
    wallet_renewed: "Novo link gerado: os anteriores deixaram de funcionar.", "New link made: the earlier ones no longer work.";
    wallet_intro: "Mostre o QR de cada ingresso na entrada. Esta página continua abrindo sem internet depois da primeira vez.", "Show each ticket's QR at the gate. This page keeps opening offline after the first time.";
    wallet_none: "Este pedido não tem ingressos para mostrar.", "This order has no tickets to show.";
    wallet_screen_only: "Nesta sessão o código muda a cada 15 segundos e só vale na tela: é preciso internet para mostrá-lo.", "In this session the code changes every 15 seconds and only counts on screen: showing it needs the internet.";
    wallet_offline: "Sem internet: mostrando os ingressos guardados neste aparelho.", "Offline: showing the tickets kept on this device.";
    print: "Imprimir", "Print";
    try_again: "Tentar de novo", "Try again";
    no_orders: "Você ainda não fez pedidos.", "You have no orders yet.";
    no_tickets: "Você ainda não tem ingressos.", "You have no tickets yet.";
    ticket_title: "Ingresso", "Ticket";
    reference: "Referência", "Reference";
    transfer_title: "Transferir para outra pessoa", "Transfer to someone else";
    transfer_to: "E-mail de quem vai receber", "Recipient's email";
    transfer_button: "Transferir", "Transfer";
    resale_title: "Revender pelo preço de face", "Resell at face value";
    resale_price: "Preço (R$)", "Price (R$)";
    resale_button: "Anunciar", "List for resale";
    transfers_title: "Transferências", "Transfers";
    no_transfers: "Nenhuma transferência.", "No transfers.";
    your_name: "Seu nome", "Your name";
    email: "E-mail", "Email";
    password: "Senha", "Password";
    login_title: "Entrar", "Log in";
    register_title: "Criar conta", "Create an account";
    register_instead: "Não tem conta? Crie uma.", "No account? Create one.";
    login_instead: "Já tem conta? Entre.", "Have an account? Log in.";
    setup_title: "Criar o primeiro administrador", "Create the first admin";
    setup_intro: "Esta bilheteria ainda não tem contas. Quem criar esta conta será o administrador (e organizador). Este link só funciona uma vez.", "This box office has no accounts yet. This account will be its admin (and organizer). This link works once.";
    account_title: "Minha conta", "My account";
    mail_language: "Idioma das páginas e e-mails", "Language of pages and mails";
    save: "Salvar", "Save";
    devices_title: "Aparelhos e sessões", "Devices and sessions";
    devices_rule: "Você fica conectado em um aparelho por vez: entrar em outro encerra a sessão anterior.", "You stay logged in on one device at a time: logging in on another ends the previous session.";
    device: "Aparelho", "Device";
    started: "Início", "Started";
    state: "Situação", "State";
    actions: "Ações", "Actions";
    this_device: "este aparelho", "this device";
    end_session: "Encerrar esta sessão", "End this session";
    session_active: "ativa", "active";
    session_replaced_short: "encerrada por outro login", "ended by another login";
    session_logged_out: "encerrada", "ended";
    session_expired: "expirada", "expired";
    session_replaced: "Sua sessão foi encerrada porque você entrou em outro aparelho. Entre de novo para continuar aqui.", "Your session ended because you logged in on another device. Log in again to continue here.";
    session_ended: "Sua sessão terminou. Entre de novo para continuar.", "Your session ended. Log in again to continue.";
    welcome: "Bem-vindo(a)! Você está conectado(a).", "Welcome! You are logged in.";
    logged_out: "Você saiu.", "You logged out.";
    on_sale: "À venda", "On sale";
    sales_closed: "Vendas encerradas", "Sales closed";
    sales_paused: "Vendas pausadas pelo organizador", "Sales paused by the organizer";
    buy_tickets: "Escolher lugares", "Choose places";
    enter_queue: "Entrar na fila de espera", "Enter the waiting room";
    queue_on: "Venda com fila de espera", "Sold through a waiting room";
    ticket_valid: "Válido", "Valid";
    ticket_used: "Já utilizado", "Already used";
    ticket_cancelled: "Cancelado", "Cancelled";
    full_ticket: "Inteira", "Full price";
    transfer_sent: "Transferência oferecida. A pessoa recebe um e-mail para aceitar.", "Transfer offered. The recipient gets an email to accept it.";
    listed: "Ingresso anunciado para revenda.", "Ticket listed for resale.";
    accept: "Aceitar", "Accept";
    decline: "Recusar", "Decline";
    cancel: "Cancelar", "Cancel";
    pending: "pendente", "pending";
    accepted: "aceita", "accepted";
    declined: "recusada", "declined";
    cancelled: "cancelada", "cancelled";
    expired: "expirada", "expired";
    order_paid: "Compra confirmada", "Purchase confirmed";
    order_pending: "Aguardando pagamento", "Awaiting payment";
    order_failed: "Pagamento não concluído", "Payment not completed";
    order_refunded: "Pedido reembolsado", "Order refunded";
    paid_text: "Pagamento aprovado. Seus ingressos estão abaixo e também foram enviados por e-mail.", "Payment approved. Your tickets are below and were sent by email too.";
    pending_card_text: "O pagamento está sendo confirmado com o emissor do cartão. Esta página se atualiza sozinha.", "The payment is being confirmed with the card issuer. This page updates by itself.";
    pending_pix_text: "Pague o Pix no app do seu banco: leia o QR Code ou copie o código. Esta página se atualiza quando o banco confirmar.", "Pay the Pix in your bank's app: scan the QR code or copy the code. This page updates when the bank confirms.";
    declined_text: "O pagamento foi recusado pelo emissor do cartão. Seus lugares continuam reservados até o fim do prazo: tente outro cartão ou o Pix.", "The card issuer declined the payment. Your places stay held until the hold runs out: try another card or Pix.";
    pix_expired_text: "O Pix expirou antes de ser pago e os lugares foram liberados.", "The Pix expired before it was paid, and the places were released.";
    event_cancelled_order_text: "O evento foi cancelado antes de o pagamento ser confirmado. O valor foi estornado.", "The event was cancelled before the payment was confirmed. The charge was refunded.";
    hold_lost_text: "A reserva expirou e os lugares foram vendidos antes de o pagamento ser confirmado. O valor foi estornado.", "The hold expired and the places were sold before the payment was confirmed. The charge was refunded.";
    refunded_text: "Este pedido foi reembolsado e seus ingressos cancelados.", "This order was refunded and its tickets cancelled.";
    product: "Produto", "Product";
    refresh: "Atualizar", "Refresh";
    bad_date: "Data inválida: use o seletor de datas.", "Invalid date: use the date picker.";
    qr_alt: "QR Code do ingresso", "The ticket's QR code";
    qr_hint_rotating: "Este código muda a cada 15 segundos: mostre esta tela na entrada (uma captura de tela não serve).", "This code changes every 15 seconds: show this screen at the gate (a screenshot will not do).";
    qr_hint_static: "Mostre este código na entrada, na tela ou impresso.", "Show this code at the gate, on screen or printed.";
    wrong_credentials: "E-mail ou senha incorretos.", "Wrong email or password.";
    stage: "PALCO", "STAGE";
    resale_on_sale: "Ingressos na revenda", "Tickets on resale";
    resale_explained: "Ingressos revendidos por quem não pode ir, no máximo pelo preço que pagou. Quem compra recebe um ingresso novo, com um código novo.", "Tickets resold by people who cannot go, at most at the price they paid. The buyer gets a new ticket with a new code.";
    no_resale: "Nenhum ingresso na revenda agora.", "No tickets on resale right now.";
    face_value: "Preço de face", "Face value";
    buy: "Comprar", "Buy";
    resale_link: "Ver ingressos na revenda", "See tickets on resale";
    picks_kept: "Seus lugares escolhidos continuam marcados: confira e reserve.", "Your picks are kept: check them and hold them.";
    listing_withdrawn: "Ingresso retirado da revenda: ele é seu de novo.", "Ticket taken off resale: it is yours again.";
    withdraw_listing: "Retirar da revenda", "Take off resale";
    listing_reserved: "Alguém está pagando por ele agora: não dá mais para retirar.", "Someone is paying for it right now: it can no longer be taken off.";
    ticket_transferred: "Ingresso transferido", "Ticket transferred";
    ticket_resold: "Ingresso vendido na revenda", "Ticket sold on resale";
    see_my_tickets: "Ver meus ingressos", "See my tickets";
    hold_paid_title: "Esta reserva já foi paga", "This hold is already paid";
    hold_paid_text: "O pagamento desta reserva já foi feito: os ingressos estão no pedido.", "This hold has been paid for: the tickets are in the order.";
    hold_ordered_text: "Esta reserva já virou um pedido: veja como está o pagamento.", "This hold has become an order: see how its payment stands.";
    see_order: "Ver o pedido", "See the order";
    hold_gone_notice: "A reserva expirou e os lugares foram liberados. Os que ainda estão livres estão marcados de novo: reserve outra vez.", "The hold expired and its places were released. Those still free are ticked again: hold them once more.";
    purchased_at: "Comprado em", "Bought on";
    paid_with: "Pagamento", "Payment";
    no_pdf_refunded: "Pedido reembolsado: os ingressos foram cancelados e não há PDF.", "Order refunded: its tickets were cancelled and there is no PDF.";
    map_zoom: "Zoom do mapa", "Map zoom";
    zoom_in: "Aproximar", "Zoom in";
    zoom_out: "Afastar", "Zoom out";
    zoom_fit: "Ver o setor todo", "Whole section";
    pan_hint: "Arraste o mapa para ver o resto do setor.", "Drag the map to see the rest of the section.";
    remove_seat: "Tirar", "Remove";
    forgot_password: "Esqueci minha senha", "Forgot your password?";
    reset_ask_title: "Redefinir a senha", "Reset your password";
    reset_ask_intro: "Digite o e-mail da sua conta: enviamos para ele um link para criar uma nova senha.", "Type your account's email: we send it a link to choose a new password.";
    reset_ask_button: "Enviar o link", "Send the link";
    reset_ask_sent: "Se existe uma conta com este e-mail, enviamos para ele um link para criar uma nova senha. O link vale por uma hora.", "If an account exists with this email, we sent it a link to choose a new password. The link works for one hour.";
    reset_title: "Criar uma nova senha", "Choose a new password";
    reset_intro: "Ao salvar, todas as sessões da conta são encerradas: depois, entre com a nova senha.", "Saving it ends every session of the account: then log in with the new password.";
    reset_done: "Senha alterada. Entre com a nova senha.", "Password changed. Log in with the new password.";
    link_invalid_title: "Este link não funciona mais", "This link no longer works";
    reset_link_invalid: "O link já foi usado, expirou ou não existe. Peça um novo.", "The link was used, has expired or is unknown. Ask for a new one.";
    ask_again: "Pedir um novo link", "Ask for a new link";
    new_password: "Nova senha", "New password";
    current_password: "Senha atual", "Current password";
    weak_password: "Use de 8 a 128 caracteres, sendo ao menos 8 que não sejam espaços.", "Use 8 to 128 characters, at least 8 of them not spaces.";
    wrong_current_password: "Esta não é a senha atual da conta.", "This is not the account's current password.";
    change_password_title: "Trocar a senha", "Change your password";
    change_password_rule: "Ao trocar, as sessões em outros aparelhos são encerradas.", "Changing it ends your sessions on other devices.";
    password_changed: "Senha alterada. As sessões em outros aparelhos foram encerradas.", "Password changed. Your sessions on other devices were ended.";
    verify_title: "Confirmar o e-mail", "Confirm your email";
    verify_intro: "Confirme que este endereço de e-mail é seu: assim você pode receber ingressos transferidos.", "Confirm this email address is yours: then you can receive transferred tickets.";
    verify_button: "Confirmar meu e-mail", "Confirm my email";
    verified_title: "E-mail confirmado", "Email confirmed";
    verified_text: "Seu endereço de e-mail está confirmado. Você já pode aceitar ingressos transferidos para ele.", "Your email address is confirmed. You can now accept tickets transferred to it.";
    verify_link_invalid: "O link de confirmação já foi usado, expirou ou não existe. Peça um novo na sua conta.", "The confirmation link was used, has expired or is unknown. Ask for a new one on your account page.";
    go_to_account: "Ir para minha conta", "Go to my account";
    unverified_notice: "Seu e-mail ainda não foi confirmado: sem isso, você não pode aceitar ingressos transferidos. Use o link que enviamos no cadastro ou peça outro.", "Your email is not confirmed yet: until it is, you cannot accept transferred tickets. Use the link we mailed at sign-up or ask for another.";
    resend_link: "Reenviar o link de confirmação", "Resend the confirmation link";
    verification_sent: "Enviamos um novo link de confirmação para o seu e-mail.", "We mailed you a new confirmation link.";
    transfer_needs_verified: "Para aceitar um ingresso transferido, confirme antes o seu e-mail.", "To accept a transferred ticket, first confirm your email.";
    field_seats: "Assentos", "Seats";
    field_half_seats: "Assentos de meia-entrada", "Half-price seats";
    field_hold: "Reserva", "Hold";
    nav_console: "Painel do produtor", "Organizer console";
    console_title: "Painel do produtor", "Organizer console";
    console_intro: "Aqui a equipe de uma produtora cuida dos seus eventos, produtos e membros.", "Here an organization's team looks after its events, products and members.";
    my_organizations: "Suas organizações", "Your organizations";
    no_organizations: "Você ainda não faz parte de nenhuma organização.", "You do not belong to any organization yet.";
    your_role: "Seu papel", "Your role";
    found_title: "Criar uma organização", "Create an organization";
    found_intro: "A organização é a produtora: locais, eventos e produtos são dela, e a equipe trabalha nela. Você será o proprietário.", "The organization is the producer: venues, events and products belong to it, and the team works in it. You will be its owner.";
    organization_name: "Nome da organização", "Organization name";
    organization_document: "CPF ou CNPJ", "CPF or CNPJ";
    organization_document_hint: "Com ou sem pontos e traços; os dígitos verificadores são conferidos.", "With or without dots and dashes; the check digits are verified.";
    contact_email: "E-mail de contato", "Contact email";
    found_button: "Criar organização", "Create organization";
    organization_created: "Organização criada. Você é o proprietário.", "Organization created. You are its owner.";
    session_not_open: "Vendas ainda não abertas", "Sales not open yet";
    new_session: "Nova sessão", "New session";
    create_session: "Criar sessão", "Create session";
    organizer_no_sessions: "Este evento ainda não tem sessões.", "This event has no sessions yet.";
    session_created: "Sessão criada. As vendas abrem no horário marcado, se o evento estiver publicado.", "Session created. Sales open at the time set, once the event is published.";
    session_saved: "Sessão salva.", "Session saved.";
    session_paused_done: "Vendas pausadas: nenhuma nova reserva até você retomar.", "Sales paused: no new holds until you resume them.";
    session_resumed_done: "Vendas retomadas.", "Sales resumed.";
    pause_sales: "Pausar vendas agora", "Pause sales now";
    resume_sales: "Retomar vendas", "Resume sales";
    time_zone_of_venue: "Horários no fuso do local", "Times in the venue's time zone";
    session_starts_at: "Início da sessão", "Session starts";
    session_sales_start_at: "Abertura das vendas", "Sales open";
    session_sales_start_hint: "Em branco: agora. As vendas terminam quando a sessão começa.", "Blank: now. Sales end when the session starts.";
    session_cap: "Limite de ingressos por comprador", "Ticket limit per buyer";
    session_hold_minutes: "Tempo para pagar uma reserva (minutos)", "Time to pay for a hold (minutes)";
    session_pix_minutes: "Validade do Pix (minutos)", "Pix expiry (minutes)";
    session_half_quota: "Cota de meia-entrada (%)", "Half-price quota (%)";
    session_half_quota_hint: "A lei exige ao menos 40% dos lugares.", "The law requires at least 40% of the places.";
    session_half_release: "Liberar a cota não vendida em", "Release the unsold quota at";
    session_half_release_hint: "Em branco: a cota fica reservada até o início.", "Blank: the quota stays reserved until the start.";
    session_transfers: "Permitir transferência e revenda pelo preço de face", "Allow transfer and face-value resale";
    session_transfer_cutoff: "Encerrar transferências (minutos antes do início)", "Close transfers (minutes before the start)";
    session_resale_fee: "Taxa do produtor na revenda (%)", "Organizer's share of a resale (%)";
    session_screen_codes: "Códigos na tela", "On-screen codes";
    screen_codes_static: "Fixos (impressos ou na tela)", "Static (printed or on screen)";
    screen_codes_rotating: "Rotativos no celular (impressos ainda valem)", "Rotating on phones (printed still pass)";
    screen_codes_screen_only: "Só rotativos (sem PDF)", "Rotating only (no PDFs)";
    session_queue: "Fila de espera virtual", "Virtual waiting room";
    session_admit_rate: "Compradores admitidos por minuto", "Buyers admitted per minute";
    sections_and_prices: "Setores, categorias e preços", "Sections, categories and prices";
    sections_and_prices_hint: "Setores com o mesmo nome de categoria formam uma categoria, com um só preço.", "Sections with the same category name make one category, at one price.";
    sell_section: "Vender", "Sell";
    transfers_and_resale: "Transferência e revenda", "Transfer and resale";
    back_to_event: "Voltar ao evento", "Back to the event";
    places: "lugares", "places";
    categories_and_prices: "Categorias e preços", "Categories and prices";
    prices_locked_hint: "Os preços mudam só até a primeira venda; o nome, sempre.", "Prices change only until the first sale; names at any time.";
    price_in_reais: "Preço (R$)", "Price (R$)";
    category_name: "Nome da categoria", "Category name";
    organization_suspended: "Organização suspensa: as sessões dela não vendem até o fim da suspensão.", "Organization suspended: its sessions sell nothing until the suspension ends.";
    organizer_events: "Eventos", "Events";
    new_event: "Novo evento", "New event";
    team: "Equipe", "Team";
    organizer_products: "Produtos", "Products";
    organizer_venues: "Locais", "Venues";
    venues_none: "Nenhum local ainda.", "No venues yet.";
    new_venue: "Novo local", "New venue";
    generate_venue: "Gerar um local grande", "Generate a large venue";
    generate_hint: "Setores iguais de filas iguais, para estádios e arenas; depois ajuste no editor.", "Alike sections of alike rows, for stadiums and arenas; adjust them in the builder afterwards.";
    generate: "Gerar local", "Generate venue";
    venue_name: "Nome do local", "Venue name";
    venue_city: "Cidade", "City";
    venue_time_zone: "Fuso horário", "Time zone";
    venue_time_zone_hint: "Nome IANA, ex.: America/Sao_Paulo, America/Manaus", "IANA name, e.g. America/Sao_Paulo, America/Manaus";
    stage_position: "Palco ou campo", "Stage or field";
    stage_top: "Acima dos assentos", "Above the seats";
    stage_bottom: "Abaixo dos assentos", "Below the seats";
    stage_label_field: "Nome do palco (opcional)", "Stage's name (optional)";
    stage_label_hint: "Ex.: Campo, Tela. Vazio: PALCO.", "E.g. Field, Screen. Empty: STAGE.";
    section_word: "Setor", "Section";
    section_name: "Nome do setor", "Section name";
    section_kind: "Tipo de setor", "Kind of section";
    kind_seated: "Com assentos numerados", "Numbered seats";
    kind_standing: "Em pé (pista), por capacidade", "Standing, by capacity";
    standing_capacity: "Capacidade (em pé)", "Capacity (standing)";
    row_word: "Fila", "Row";
    row_seats: "Assentos", "Seats";
    row_direction: "Numeração", "Numbering";
    direction_ltr: "Assento 1 à esquerda", "Seat 1 on the left";
    direction_rtl: "Assento 1 à direita", "Seat 1 on the right";
    row_gaps: "Corredor depois dos assentos", "Aisle after seats";
    row_accessible: "Lugares para cadeira de rodas", "Wheelchair spaces";
    row_companion: "Assentos de acompanhante", "Companion seats";
    numbers_hint: "Números de assento separados por vírgula, ex.: 10, 20", "Seat numbers separated by commas, e.g. 10, 20";
    builder_hint: "Filas e setores em branco são ignorados. As filas vão do palco para trás.", "Blank rows and sections are left out. Rows go from the stage backwards.";
    more_rows: "Mais filas e setores", "More rows and sections";
    preview: "Pré-visualizar", "Preview";
    preview_title: "Como os compradores verão", "What buyers will see";
    preview_section: "Setor mostrado", "Section shown";
    create_venue: "Criar local", "Create venue";
    venue_created: "Local criado.", "Venue created.";
    venue_saved: "Local salvo.", "Venue saved.";
    duplicate: "Duplicar", "Duplicate";
    venue_duplicated: "Cópia criada. Mude o nome se quiser.", "Copy made. Rename it if you like.";
    generator_sections: "Quantos setores", "How many sections";
    generator_rows: "Filas por setor", "Rows per section";
    generator_seats: "Assentos por fila", "Seats per row";
    generator_prefix: "Nome dos setores (seguido do número)", "Sections' name (followed by their number)";
    row_labels_field: "Nomes das filas", "Row names";
    labels_letters: "Letras: A…Z, AA, AB…", "Letters: A…Z, AA, AB…";
    labels_numbers: "Números: 1, 2, 3…", "Numbers: 1, 2, 3…";
    aisle_every: "Corredor a cada tantos assentos (opcional)", "An aisle every so many seats (optional)";
    places_word: "lugares", "places";
    sections_word: "setores", "sections";
    event_status: "Situação", "Status";
    any_status: "Todas", "All";
    filter_button: "Filtrar", "Filter";
    no_organizer_events: "Nenhum evento encontrado.", "No events found.";
    edit: "Editar", "Edit";
    event_title: "Título", "Title";
    event_description: "Descrição", "Description";
    event_venue: "Local", "Venue";
    event_tags: "Etiquetas (separadas por vírgula)", "Tags (comma-separated)";
    no_venues: "Esta organização ainda não tem locais, e todo evento acontece em um. Crie um local antes do evento.", "This organization has no venues yet, and every event takes place at one. Create a venue before the event.";
    create_event: "Criar evento (como rascunho)", "Create event (as a draft)";
    save_changes: "Salvar alterações", "Save changes";
    publish: "Publicar", "Publish";
    unpublish: "Despublicar (volta a rascunho)", "Unpublish (back to draft)";
    event_created: "Evento criado como rascunho: publique quando estiver pronto.", "Event created as a draft: publish it when it is ready.";
    event_saved: "Alterações salvas.", "Changes saved.";
    event_published: "Evento publicado: o público já o vê.", "Event published: the public can see it now.";
    event_unpublished: "Evento despublicado: voltou a ser rascunho.", "Event unpublished: it is a draft again.";
    public_page: "Ver a página pública", "See the public page";
    cancel_event: "Cancelar o evento", "Cancel the event";
    cancel_event_warning: "Cancelar é para sempre: todas as sessões param de vender agora, cada pedido pago é reembolsado pelo meio de pagamento usado, os ingressos são cancelados e deixam de abrir a entrada, e cada comprador recebe um e-mail.", "Cancelling is for good: every session stops selling now, every paid order is refunded through the means of payment used, its tickets are cancelled and no longer open the gate, and every buyer is mailed.";
    cancel_reason: "Motivo (opcional, dito aos compradores)", "Reason (optional, told to the buyers)";
    confirm_cancel_event: "Sim, cancelar o evento", "Yes, cancel the event";
    keep_event: "Não, voltar ao evento", "No, back to the event";
    event_cancelled_done: "Evento cancelado: os reembolsos seguem em segundo plano.", "Event cancelled: the refunds go on in the background.";
    event_cancelled_public: "Este evento foi cancelado pelo organizador. Quem comprou ingressos recebe o reembolso pelo mesmo meio de pagamento e um e-mail.", "This event was cancelled by its organizer. Whoever bought tickets is refunded through the same means of payment and mailed.";
    sales_cancelled: "Evento cancelado", "Event cancelled";
    back_to_organization: "Voltar à organização", "Back to the organization";
    members: "Membros", "Members";
    member_name: "Nome", "Name";
    member_role: "Papel", "Role";
    member_events: "Eventos", "Events";
    every_event: "Todos", "All";
    add_member: "Adicionar membro", "Add a member";
    add_member_intro: "A pessoa precisa ter uma conta com este e-mail. Adicionar quem já é membro muda o papel e os eventos dele.", "The person needs an account with this email. Adding someone who is a member already changes their role and events.";
    limit_to_events: "Limitar a alguns eventos (nenhum marcado: todos)", "Limit to some events (none ticked: all of them)";
    add_member_button: "Adicionar", "Add";
    change_role: "Mudar papel", "Change role";
    remove_member: "Remover", "Remove";
    team_saved: "Equipe atualizada.", "Team updated.";
    member_removed: "Membro removido da organização.", "Member removed from the organization.";
    product_name: "Nome do produto", "Product name";
    product_price: "Preço (R$)", "Price (R$)";
    product_price_hint: "Com vírgula para os centavos: 12,50.", "With a comma or a point for the centavos: 12,50.";
    stock: "Estoque", "Stock";
    offered_with: "Oferecido nos eventos", "Offered with the events";
    new_product: "Novo produto", "New product";
    create_product: "Criar produto", "Create product";
    product_created: "Produto criado.", "Product created.";
    no_products: "Nenhum produto ainda.", "No products yet.";
    sold: "Vendidos", "Sold";
    sold_out: "Esgotado", "Sold out";
    poster: "Cartaz", "Poster";
    poster_file: "Arquivo do cartaz", "Poster file";
    image_hint: "JPEG, PNG ou WebP, até 5 MB. Ajustamos o tamanho para cada página.", "JPEG, PNG or WebP, up to 5 MB. We size it for each page.";
    upload_poster: "Enviar cartaz", "Upload poster";
    remove_poster: "Remover cartaz", "Remove poster";
    no_poster: "Este evento ainda não tem cartaz.", "This event has no poster yet.";
    poster_saved: "Cartaz salvo.", "Poster saved.";
    poster_removed: "Cartaz removido.", "Poster removed.";
    product_image: "Imagem do produto", "Product image";
    image_file: "Arquivo da imagem", "Image file";
    upload_image: "Enviar imagem", "Upload image";
    remove_image: "Remover imagem", "Remove image";
    no_image: "Este produto ainda não tem imagem.", "This product has no image yet.";
    image_saved: "Imagem salva.", "Image saved.";
    image_removed: "Imagem removida.", "Image removed.";
    edit_product: "Imagem e detalhes", "Image and details";
    back_to_products: "Voltar aos produtos", "Back to the products";
    role_owner: "Proprietário", "Owner";
    role_manager: "Gerente", "Manager";
    role_finance: "Financeiro", "Finance";
    role_checkin: "Portaria", "Check-in";
    role_viewer: "Leitura", "Viewer";
    status_draft: "Rascunho", "Draft";
    status_published: "Publicado", "Published";
    status_cancelled: "Cancelado", "Cancelled";
    // A session's orders in the console.
    session_orders: "Pedidos", "Orders";
    see_session_orders: "Ver os pedidos desta sessão", "See this session's orders";
    orders_search: "E-mail, nome do comprador ou número do pedido", "Buyer's email, name or order number";
    order_status_label: "Situação", "Status";
    order_status_paid: "Pago", "Paid";
    order_status_refunded: "Reembolsado", "Refunded";
    order_status_failed: "Não pago", "Not paid";
    order_status_pending: "Aguardando pagamento", "Awaiting payment";
    no_session_orders: "Nenhum pedido encontrado.", "No order found.";
    more_orders: "Mais pedidos", "More orders";
    back_to_orders: "Voltar aos pedidos", "Back to the orders";
    order_word: "Pedido", "Order";
    order_buyer: "Comprador", "Buyer";
    order_total: "Total", "Total";
    order_refunded_so_far: "Reembolsado", "Refunded";
    order_payment: "Pagamento", "Payment";
    order_lines: "Itens", "Items";
    order_tickets: "Ingressos", "Tickets";
    ticket_place: "Lugar", "Place";
    ticket_kind: "Tipo", "Type";
    ticket_state: "Situação", "Status";
    ticket_paid: "Pago", "Paid";
    refund_legend: "Reembolsar", "Refund";
    refund_hint: "Marque os ingressos a reembolsar: volta o que foi pago por eles (os produtos do pedido não). Ou reembolse o pedido inteiro.", "Tick the tickets to refund: what was paid for them comes back (the order's products do not). Or refund the whole order.";
    refund_ticket: "Reembolsar este ingresso", "Refund this ticket";
    refund_all: "Reembolsar o pedido inteiro, produtos incluídos", "Refund the whole order, products included";
    refund_button: "Reembolsar", "Refund";
    refund_done: "Reembolso feito. O comprador recebe um e-mail.", "Refund made. The buyer gets an email.";
    resend_button: "Reenviar os ingressos por e-mail", "Email the tickets again";
    resend_done: "Os ingressos foram enviados de novo ao comprador.", "The tickets were sent to the buyer again.";
    order_history: "Histórico", "History";
    history_charge: "Cobrança", "Charge";
    history_refund: "Reembolso", "Refund";
    history_tickets_refund: "Reembolso de ingressos", "Refund of tickets";
    history_succeeded: "concluído", "done";
    history_declined: "recusado", "declined";
    history_requested: "em andamento", "under way";
    history_transfer: "Transferência", "Transfer";
    history_resale: "Revenda", "Resale";
    history_checkin: "Entrada", "Check-in";
    history_gate: "portão", "gate";
    history_audit: "Registro", "Log";
    door_tab: "Portaria", "Door";
    team_invited: "Ninguém tem conta com esse e-mail: enviamos um convite para criar uma. A pessoa entra na equipe quando confirmar o e-mail.", "No account has that address: we mailed an invitation to sign up. They join the team once they confirm the address.";
}

/// "1 de 2 ingressos válidos", or "2 ingressos" when none was cancelled.
pub fn tickets_left(lang: Language, live: i64, all: i64) -> String {
    match (lang, live == all) {
        (Language::PtBr, true) if all == 1 => "1 ingresso".to_owned(),
        (Language::PtBr, true) => format!("{all} ingressos"),
        (Language::PtBr, false) => format!("{live} de {all} ingressos em vigor"),
        (Language::En, true) if all == 1 => "1 ticket".to_owned(),
        (Language::En, true) => format!("{all} tickets"),
        (Language::En, false) => format!("{live} of {all} tickets still good"),
    }
}

/// A ticket's type: "Inteira", or "Meia-entrada (estudante)".
pub fn ticket_kind(
    lang: Language,
    ticket_type: bilheteria_domain::half_price::TicketType,
    ground: Option<Eligibility>,
) -> String {
    let w = of(lang);
    match (ticket_type, ground) {
        (bilheteria_domain::half_price::TicketType::Full, _) => w.full_price.to_owned(),
        (_, Some(ground)) => format!("{} ({})", w.half_price_title, eligibility(lang, ground)),
        (_, None) => w.half_price_title.to_owned(),
    }
}

/// A card payment as people read it: "Cartão: 3x de R$ 65,00 sem juros".
pub fn card_payment(lang: Language, installments: i64, total_cents: i64) -> String {
    let plan = installment(lang, Installments::split(total_cents, installments));
    match lang {
        Language::PtBr => format!("Cartão: {plan}"),
        Language::En => format!("Card: {plan}"),
    }
}

/// A member's role as people say it.
pub fn member_role(lang: Language, role: MemberRole) -> &'static str {
    let w = of(lang);
    match role {
        MemberRole::Owner => w.role_owner,
        MemberRole::Manager => w.role_manager,
        MemberRole::Finance => w.role_finance,
        MemberRole::Checkin => w.role_checkin,
        MemberRole::Viewer => w.role_viewer,
    }
}

/// An event's status as people say it.
pub fn event_status(lang: Language, status: EventStatus) -> &'static str {
    let w = of(lang);
    match status {
        EventStatus::Draft => w.status_draft,
        EventStatus::Published => w.status_published,
        EventStatus::Cancelled => w.status_cancelled,
    }
}

pub fn of(lang: Language) -> &'static Words {
    match lang {
        Language::PtBr => &PT,
        Language::En => &EN,
    }
}

/// The language the switch offers.
pub fn other(lang: Language) -> Language {
    match lang {
        Language::PtBr => Language::En,
        Language::En => Language::PtBr,
    }
}

/// "até 4 ingressos por pessoa".
pub fn cap(lang: Language, n: i64) -> String {
    match (lang, n) {
        (Language::PtBr, 1) => "Até 1 ingresso por pessoa".to_owned(),
        (Language::PtBr, n) => format!("Até {n} ingressos por pessoa"),
        (Language::En, 1) => "Up to 1 ticket per person".to_owned(),
        (Language::En, n) => format!("Up to {n} tickets per person"),
    }
}

/// How long a hold keeps the places.
pub fn hold_time(lang: Language, seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    match lang {
        Language::PtBr => {
            format!("Os lugares ficam reservados por {minutes} min enquanto você paga")
        }
        Language::En => format!("Places are held for {minutes} min while you pay"),
    }
}

/// The half-price reserve as the law says the public must be told it.
pub fn half_available(lang: Language, available: i64, quota: i64) -> String {
    match lang {
        Language::PtBr => {
            format!("Meia-entrada: {available} de {quota} lugares reservados ainda disponíveis")
        }
        Language::En => {
            format!("Half price: {available} of {quota} reserved places still available")
        }
    }
}

/// What its organizer said when cancelling an event.
pub fn cancel_reason_said(lang: Language, reason: &str) -> String {
    match lang {
        Language::PtBr => format!("Motivo: {reason}"),
        Language::En => format!("Reason: {reason}"),
    }
}

/// How far a cancelled event's refunds are.
pub fn refund_progress(lang: Language, refunded: i64, orders: i64) -> String {
    match (lang, orders) {
        (Language::PtBr, 1) => format!("{refunded} de 1 pedido pago reembolsado"),
        (Language::PtBr, _) => format!("{refunded} de {orders} pedidos pagos reembolsados"),
        (Language::En, 1) => format!("{refunded} of 1 paid order refunded"),
        (Language::En, _) => format!("{refunded} of {orders} paid orders refunded"),
    }
}

/// How many of a product are left to buy: "3 restantes", or "Esgotado".
pub fn left_in_stock(lang: Language, left: i64) -> String {
    match (lang, left) {
        (_, ..=0) => of(lang).sold_out.to_owned(),
        (Language::PtBr, 1) => "1 restante".to_owned(),
        (Language::PtBr, n) => format!("{n} restantes"),
        (Language::En, n) => format!("{n} left"),
    }
}

pub fn sales_open_at(lang: Language, when: &str) -> String {
    match lang {
        Language::PtBr => format!("Vendas a partir de {when}"),
        Language::En => format!("Sales open {when}"),
    }
}

pub fn seats_free(lang: Language, n: i64) -> String {
    match lang {
        Language::PtBr => format!("{n} livres"),
        Language::En => format!("{n} free"),
    }
}

pub fn expires_at(lang: Language, when: &str) -> String {
    match lang {
        Language::PtBr => format!("Reservado até {when}"),
        Language::En => format!("Held until {when}"),
    }
}

pub fn pix_expires_at(lang: Language, when: &str) -> String {
    match lang {
        Language::PtBr => format!("O Pix vale até {when}"),
        Language::En => format!("The Pix is valid until {when}"),
    }
}

/// A choice of installments, every parcel said so that they visibly add up to the total (the
/// first carries the centavos left over: `Installments::split`).
pub fn installment(lang: Language, plan: Installments) -> String {
    let (n, rest) = (plan.count, plan.count - 1);
    let (first, each) = (lang.money(plan.first_cents), lang.money(plan.others_cents));
    match (lang, n, plan.is_even()) {
        (Language::PtBr, 1, _) => format!("À vista ({first})"),
        (Language::PtBr, n, true) => format!("{n}x de {each} sem juros"),
        (Language::PtBr, n, false) => {
            format!("{n}x sem juros: 1x de {first} + {rest}x de {each}")
        }
        (Language::En, 1, _) => format!("In full ({first})"),
        (Language::En, n, true) => format!("{n} interest-free installments of {each}"),
        (Language::En, n, false) => {
            format!("{n} interest-free installments: 1 of {first} + {rest} of {each}")
        }
    }
}

pub fn pix_hint(lang: Language, minutes: i64) -> String {
    match lang {
        Language::PtBr => format!(
            "Com Pix você recebe um QR Code e um código copia e cola, válidos por {minutes} min; os lugares ficam reservados até lá."
        ),
        Language::En => format!(
            "With Pix you get a QR code and a copy-and-paste code, valid for {minutes} min; the places stay held until then."
        ),
    }
}

/// A seat within its section's map, where the section goes unsaid: "Fila A, assento 3".
pub fn row_seat(lang: Language, row: &str, number: i64) -> String {
    match lang {
        Language::PtBr => format!("Fila {row}, assento {number}"),
        Language::En => format!("Row {row}, seat {number}"),
    }
}

pub fn queue_position(lang: Language, ahead: i64) -> String {
    match (lang, ahead) {
        (Language::PtBr, 0) => "Você é o próximo!".to_owned(),
        (Language::PtBr, 1) => "Há 1 pessoa na sua frente.".to_owned(),
        (Language::PtBr, n) => format!("Há {n} pessoas na sua frente."),
        (Language::En, 0) => "You are next!".to_owned(),
        (Language::En, 1) => "There is 1 person ahead of you.".to_owned(),
        (Language::En, n) => format!("There are {n} people ahead of you."),
    }
}

pub fn queue_estimate(lang: Language, seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    match lang {
        Language::PtBr => format!("Espera estimada: cerca de {minutes} min."),
        Language::En => format!("Estimated wait: about {minutes} min."),
    }
}

pub fn queue_before_start(lang: Language, when: &str) -> String {
    match lang {
        Language::PtBr => format!(
            "Você está na fila. As vendas abrem {when}; nessa hora a ordem de quem já chegou é sorteada."
        ),
        Language::En => format!(
            "You are in line. Sales open {when}; then the order of everyone already here is drawn at random."
        ),
    }
}

pub fn eligibility(lang: Language, e: Eligibility) -> &'static str {
    match lang {
        Language::PtBr => e.label_pt(),
        Language::En => e.label_en(),
    }
}

/// "Meia-entrada (estudante): apresente … na entrada".
pub fn document(lang: Language, e: Eligibility) -> String {
    match lang {
        Language::PtBr => format!(
            "Meia-entrada ({}): apresente {} na entrada.",
            e.label_pt(),
            e.document_pt()
        ),
        Language::En => format!(
            "Half price ({}): show {} at the gate.",
            e.label_en(),
            e.document_en()
        ),
    }
}

pub fn resale_hint(lang: Language, face: &str) -> String {
    match lang {
        Language::PtBr => format!(
            "Revenda só pelo preço de face ou menos (no máximo {face}). Quem comprar recebe um ingresso novo e o seu é cancelado."
        ),
        Language::En => format!(
            "Resale at face value or less (at most {face}). The buyer gets a new ticket and yours is cancelled."
        ),
    }
}

pub fn transfer_line(lang: Language, outgoing: bool, who: &str, ticket: &str) -> String {
    match (lang, outgoing) {
        (Language::PtBr, true) => format!("{ticket} para {who}"),
        (Language::PtBr, false) => format!("{ticket} de {who}"),
        (Language::En, true) => format!("{ticket} to {who}"),
        (Language::En, false) => format!("{ticket} from {who}"),
    }
}

/// The title and explanation of a problem a page ran into, in `lang`. Where the API's English
/// `detail` carries facts the wording cannot (the gate a ticket went in by, why a body was not
/// read), an English reader gets that detail as the explanation.
pub fn problem(lang: Language, code: ProblemCode, detail: &str) -> (&'static str, String) {
    let [pt, en] = problem_wording(code);
    let (title, text) = match lang {
        Language::PtBr => pt,
        Language::En => en,
    };
    let facts_in_detail = matches!(
        code,
        ProblemCode::TicketUsed
            | ProblemCode::PaymentProviderError
            | ProblemCode::MalformedJson
            | ProblemCode::MalformedBody
            | ProblemCode::DeviceIdRequired
            | ProblemCode::InvalidSignature
    );
    if lang == Language::En && facts_in_detail && !detail.is_empty() {
        return (title, detail.to_owned());
    }
    (title, text.to_owned())
}

/// The label people know a field by, in `lang`, from its path (`products[0].quantity`, a form's
/// `half_quantity`); `None` for what no form shows (the body, a hidden key), whose message is
/// then said alone.
pub fn field_label(lang: Language, field: &str) -> Option<&'static str> {
    let w = of(lang);
    let mut name = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => name.push(c),
            _ => {}
        }
    }
    Some(match name.as_str() {
        "email" => w.email,
        "password" => w.password,
        "name" => w.your_name,
        "new_password" => w.new_password,
        "current_password" => w.current_password,
        "language" => w.mail_language,
        "seat_ids" => w.field_seats,
        "quantity" => w.quantity,
        "half_price_quantity" | "half_quantity" => w.half_count,
        "half_price_seat_ids" => w.field_half_seats,
        "eligibility" => w.eligibility,
        "section_id" => w.section,
        "payment.method" | "method" => w.payment,
        "payment.token" | "token" => w.card_token,
        "payment.installments" | "installments" => w.installments,
        "products" => w.products,
        "hold_id" => w.field_hold,
        "to_email" => w.transfer_to,
        "price" | "price_cents" => w.price,
        "title" => w.event_title,
        "description" => w.event_description,
        "category" => w.category,
        "tags" => w.event_tags,
        "venue_id" => w.event_venue,
        "document" => w.organization_document,
        "contact_email" => w.contact_email,
        "role" => w.member_role,
        "event_ids" => w.member_events,
        "stock" => w.stock,
        other if other.starts_with("products.") || other.starts_with("product:") => w.product,
        _ => return None,
    })
}

/// A field's error as a form shows it, in `lang`: "Quantos são meia-entrada: deve estar entre
/// 0 e 2".
pub fn field_error(lang: Language, error: &FieldError) -> String {
    let message = field_words::message(lang, &error.problem);
    match field_label(lang, &error.field) {
        Some(label) => format!("{label}: {message}"),
        None => sentence(&message),
    }
}

/// `message` said on its own: its first letter in upper case.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A problem's title and explanation for a buyer, in pt-BR then English: every code has both.
fn problem_wording(code: ProblemCode) -> [(&'static str, &'static str); 2] {
    use ProblemCode as C;
    match code {
        C::Unauthenticated => [
            (
                "Entre para continuar",
                "Entre na sua conta para continuar. Se já tinha entrado, a sessão terminou.",
            ),
            (
                "Log in to go on",
                "Log in to your account to go on. If you were logged in, your session has ended.",
            ),
        ],
        C::SessionReplaced => [
            (
                "Sessão encerrada por outro login",
                "Você entrou com esta conta em outro aparelho, e isso encerrou a sessão aqui. Entre de novo para continuar.",
            ),
            (
                "Session ended by another login",
                "You logged in to this account on another device, which ended the session here. Log in again to go on.",
            ),
        ],
        C::Forbidden => [
            ("Sem permissão", "Sua conta não pode fazer isto."),
            ("Not allowed", "Your account cannot do this."),
        ],
        C::NotFound => [
            (
                "Página não encontrada",
                "O endereço não existe ou não está mais disponível.",
            ),
            (
                "Page not found",
                "This address does not exist or is no longer available.",
            ),
        ],
        C::ValidationFailed => [
            ("Confira os dados", "Alguns campos não estão certos:"),
            ("Check the form", "Some fields are not right:"),
        ],
        C::RateLimited => [
            ("Muitas tentativas", "Espere um pouco e tente de novo."),
            ("Too many attempts", "Wait a moment and try again."),
        ],
        C::CsrfFailed => [
            (
                "Formulário expirado",
                "Por segurança, este formulário precisa ser enviado a partir da página dele. Volte, recarregue a página e tente de novo.",
            ),
            (
                "Form expired",
                "For your safety this form must be sent from its own page. Go back, reload the page and try again.",
            ),
        ],
        C::BadRequest => [
            (
                "Pedido não entendido",
                "Não conseguimos entender o que foi enviado. Volte, recarregue a página e tente de novo.",
            ),
            (
                "Request not understood",
                "We could not understand what was sent. Go back, reload the page and try again.",
            ),
        ],
        C::MethodNotAllowed => [
            (
                "Ação não disponível aqui",
                "Este endereço não aceita esta ação. Volte e use os botões da página.",
            ),
            (
                "Action not available here",
                "This address does not take this action. Go back and use the page's buttons.",
            ),
        ],
        C::PayloadTooLarge => [
            (
                "Envio grande demais",
                "O que foi enviado passa do tamanho permitido. Envie menos de uma vez.",
            ),
            (
                "Too much sent",
                "What was sent is over the size allowed. Send less at a time.",
            ),
        ],
        C::UnsupportedMediaType => [
            (
                "Formato não aceito",
                "O que foi enviado não está num formato que aceitamos. Recarregue a página e tente de novo.",
            ),
            (
                "Format not accepted",
                "What was sent is not in a format we take. Reload the page and try again.",
            ),
        ],
        C::MalformedBody => [
            (
                "Envio incompleto",
                "O que foi enviado chegou incompleto ou ilegível. Tente de novo.",
            ),
            (
                "Incomplete request",
                "What was sent arrived incomplete or unreadable. Try again.",
            ),
        ],
        C::MalformedJson => [
            (
                "Dados ilegíveis",
                "Os dados enviados não puderam ser lidos. Recarregue a página e tente de novo.",
            ),
            (
                "Unreadable data",
                "The data sent could not be read. Reload the page and try again.",
            ),
        ],
        C::RequestTimeout => [
            (
                "Demorou demais",
                "A resposta demorou mais do que devia. Confira em Meus pedidos se algo foi feito antes de tentar de novo.",
            ),
            (
                "Took too long",
                "The answer took longer than it should. Check My orders for anything done before you try again.",
            ),
        ],
        C::Overloaded => [
            (
                "Muita procura agora",
                "Muita gente está comprando neste momento e nada foi reservado para você. Tente de novo em alguns segundos.",
            ),
            (
                "Very busy right now",
                "A great many people are buying right now and nothing was held for you. Try again in a few seconds.",
            ),
        ],
        C::StorageUnavailable => [
            (
                "Sistema indisponível",
                "Não conseguimos guardar nem ler dados agora. Nada foi cobrado em dobro; tente de novo em instantes.",
            ),
            (
                "System unavailable",
                "We cannot store or read data right now. Nothing was charged twice; try again in a moment.",
            ),
        ],
        C::NotReady => [
            (
                "Ainda não estamos prontos",
                "A bilheteria está começando ou parando. Tente de novo em instantes.",
            ),
            (
                "Not ready yet",
                "The box office is starting or stopping. Try again in a moment.",
            ),
        ],
        C::Internal => [
            (
                "Algo deu errado",
                "Tivemos um problema do nosso lado. Nada foi cobrado em dobro; tente de novo em instantes.",
            ),
            (
                "Something went wrong",
                "Something failed on our side. Nothing was charged twice; try again in a moment.",
            ),
        ],
        C::EmailTaken => [
            (
                "E-mail já cadastrado",
                "Já existe uma conta com este e-mail. Entre com ela.",
            ),
            (
                "Email already registered",
                "There is already an account with this email. Log in with it.",
            ),
        ],
        C::InvalidCredentials => [
            ("Não foi possível entrar", "E-mail ou senha incorretos."),
            ("Could not log in", "Wrong email or password."),
        ],
        C::DeviceIdRequired => [
            (
                "Aparelho não identificado",
                "Não conseguimos identificar este aparelho. Ative os cookies, recarregue a página e tente de novo.",
            ),
            (
                "Device not identified",
                "We could not tell which device this is. Turn cookies on, reload the page and try again.",
            ),
        ],
        C::CannotDemoteSelf => [
            (
                "Você continua administrador",
                "Você não pode tirar o seu próprio papel de administrador: peça a outro administrador.",
            ),
            (
                "You stay an admin",
                "You cannot remove your own admin role: ask another admin.",
            ),
        ],
        C::InvalidToken => [
            (
                "Link inválido ou vencido",
                "Este link já foi usado, venceu ou não é nosso. Peça um novo.",
            ),
            (
                "Link invalid or expired",
                "This link was already used, has expired or is not ours. Ask for a new one.",
            ),
        ],
        C::EmailNotVerified => [
            (
                "Confirme o seu e-mail",
                "Para receber ingressos enviados a você, confirme o seu e-mail pelo link que mandamos no cadastro.",
            ),
            (
                "Confirm your email",
                "To accept tickets sent to you, confirm your email with the link we sent when you signed up.",
            ),
        ],
        C::QueueNotEnabled => [
            (
                "Sem fila de espera",
                "Esta sessão não tem (mais) fila de espera: escolha os lugares direto.",
            ),
            (
                "No waiting room",
                "This session has no waiting room (any more): choose your places directly.",
            ),
        ],
        C::InvalidQueueToken => [
            (
                "Lugar na fila não reconhecido",
                "Não reconhecemos o seu lugar nesta fila. Entre na fila de novo por esta página.",
            ),
            (
                "Place in line not recognised",
                "We do not recognise your place in this line. Join it again from this page.",
            ),
        ],
        C::ProofOfWorkRequired => [
            (
                "Verificação do navegador",
                "Esta fila pede que o navegador faça uma verificação rápida. Ative o JavaScript e entre na fila de novo.",
            ),
            (
                "Browser check",
                "This line asks your browser for a quick check. Turn JavaScript on and join the line again.",
            ),
        ],
        C::DeviceInQueue => [
            (
                "Aparelho já está na fila",
                "Este aparelho já está na fila com outra conta. Cada aparelho entra na fila uma vez.",
            ),
            (
                "Device already in line",
                "This device is already in the line with another account. Each device joins the line once.",
            ),
        ],
        C::QueueUnavailable => [
            (
                "Fila indisponível",
                "A fila de espera não está respondendo agora. Seu lugar não se perdeu; tente de novo em instantes.",
            ),
            (
                "Waiting room unavailable",
                "The waiting room is not answering right now. Your place is not lost; try again in a moment.",
            ),
        ],
        C::AdmissionRequired => [
            (
                "Passe pela fila",
                "Esta venda tem fila de espera. Entre na fila e aguarde a sua vez.",
            ),
            (
                "Go through the waiting room",
                "This sale has a waiting room. Join it and wait for your turn.",
            ),
        ],
        C::AdmissionExpired => [
            (
                "Sua vez passou",
                "O tempo da sua vez para comprar acabou. Cada conta tem uma vez nesta fila.",
            ),
            (
                "Your turn has passed",
                "The time of your turn to buy is over. Each account gets one turn in this line.",
            ),
        ],
        C::SalesNotOpen => [
            (
                "Vendas ainda não abertas",
                "As vendas desta sessão ainda não começaram.",
            ),
            (
                "Sales not open yet",
                "Sales for this session have not started yet.",
            ),
        ],
        C::SalesClosed => [
            ("Vendas encerradas", "As vendas desta sessão terminaram."),
            ("Sales closed", "Sales for this session are over."),
        ],
        C::SalesPaused => [
            (
                "Vendas pausadas",
                "O organizador pausou as vendas desta sessão. Tente de novo mais tarde.",
            ),
            (
                "Sales paused",
                "The organizer paused sales for this session. Try again later.",
            ),
        ],
        C::EventCancelled => [
            (
                "Evento cancelado",
                "O organizador cancelou este evento. Quem pagou recebe o reembolso.",
            ),
            (
                "Event cancelled",
                "The organizer cancelled this event. Whoever paid is refunded.",
            ),
        ],
        C::NotAnImage => [
            (
                "Não é uma imagem",
                "O arquivo enviado não é uma imagem. Envie uma foto em JPEG, PNG ou WebP.",
            ),
            (
                "Not an image",
                "The file sent is not an image. Send a picture in JPEG, PNG or WebP.",
            ),
        ],
        C::ImageFormatUnsupported => [
            (
                "Formato de imagem não aceito",
                "Aceitamos imagens em JPEG, PNG ou WebP. Converta a imagem e envie de novo.",
            ),
            (
                "Image format not accepted",
                "We take JPEG, PNG or WebP images. Convert the picture and send it again.",
            ),
        ],
        C::ImageTooLarge => [
            (
                "Imagem grande demais",
                "A imagem passa de 5 MB. Envie uma versão menor.",
            ),
            (
                "Image too large",
                "The image is over 5 MB. Send a smaller version.",
            ),
        ],
        C::ImageDimensionsOutOfRange => [
            (
                "Dimensões da imagem fora do limite",
                "Cada lado da imagem deve ter de 32 a 8.000 pixels, e ela no máximo 40 megapixels.",
            ),
            (
                "Image dimensions out of bounds",
                "Each side of the image must be 32 to 8,000 pixels, and the image at most 40 megapixels.",
            ),
        ],
        C::OrganizationSuspended => [
            (
                "Vendas suspensas",
                "A organização que vende esta sessão está suspensa: por enquanto não vende ingressos.",
            ),
            (
                "Sales suspended",
                "The organization selling this session is suspended: it sells no tickets for now.",
            ),
        ],
        C::LastOwner => [
            (
                "Último proprietário",
                "Uma organização precisa de ao menos um proprietário: torne outro membro proprietário antes.",
            ),
            (
                "Last owner",
                "An organization needs at least one owner: make another member an owner first.",
            ),
        ],
        C::PricesLocked => [
            (
                "Preços travados",
                "Esta sessão já vendeu: os preços não mudam mais. Os outros ajustes podem ser salvos.",
            ),
            (
                "Prices locked",
                "This session has sold: its prices no longer change. The other settings can be saved.",
            ),
        ],
        C::IpBlocked => [
            (
                "Compra bloqueada",
                "Não aceitamos compras vindas desta rede. Tente de outra conexão.",
            ),
            (
                "Purchase blocked",
                "We do not take purchases from this network. Try from another connection.",
            ),
        ],
        C::SeatUnavailable => [
            (
                "Assento indisponível",
                "Alguém reservou um dos assentos antes de você. Volte ao mapa e escolha outro.",
            ),
            (
                "Seat unavailable",
                "Someone held one of those seats first. Go back to the map and pick another.",
            ),
        ],
        C::SoldOut => [
            (
                "Esgotado",
                "Não há mais lugares suficientes neste setor. Tente outro setor ou outra sessão.",
            ),
            (
                "Sold out",
                "There are not enough places left in this section. Try another section or session.",
            ),
        ],
        C::HalfPriceSoldOut => [
            (
                "Meia-entrada esgotada",
                "Os lugares reservados para meia-entrada acabaram nesta sessão.",
            ),
            (
                "Half price sold out",
                "The places reserved for half price are gone for this session.",
            ),
        ],
        C::EligibilityRequired => [
            (
                "Diga o seu direito à meia",
                "Para comprar meia-entrada, escolha o seu direito (estudante, PcD, …). O documento é conferido na entrada.",
            ),
            (
                "Say your ground for half price",
                "To buy half price, choose your ground (student, disability, …). The document is checked at the gate.",
            ),
        ],
        C::PurchaseLimitExceeded => [
            (
                "Limite por pessoa",
                "Esta sessão tem um limite de ingressos por pessoa e o pedido passaria dele (contando os que você já tem ou reservou).",
            ),
            (
                "Limit per person",
                "This session limits tickets per person, and this would go past it (counting those you already have or hold).",
            ),
        ],
        C::HoldExpired => [
            (
                "Reserva expirada",
                "O tempo para pagar acabou e os lugares foram liberados. Escolha-os de novo.",
            ),
            (
                "Hold expired",
                "The time to pay ran out and the places were released. Pick them again.",
            ),
        ],
        C::HoldInUse => [
            (
                "Reserva já em pagamento",
                "Esta reserva já está sendo paga ou já foi comprada. Veja em Meus pedidos.",
            ),
            (
                "Hold already being paid",
                "This hold is already being paid for or was bought. See My orders.",
            ),
        ],
        C::OutOfStock => [
            (
                "Produto esgotado",
                "Um dos produtos do pedido acabou. Tire-o do pedido e tente de novo.",
            ),
            (
                "Product sold out",
                "One of the order's products ran out. Take it off the order and try again.",
            ),
        ],
        C::IdempotencyKeyRequired => [
            (
                "Pagamento não identificado",
                "Não conseguimos identificar este pagamento. Recarregue a página de pagamento e tente de novo.",
            ),
            (
                "Payment not identified",
                "We could not identify this payment. Reload the payment page and try again.",
            ),
        ],
        C::IdempotencyKeyReused => [
            (
                "Pagamento já enviado",
                "Este pagamento já foi enviado com outros dados. Recarregue a página de pagamento antes de mudar algo.",
            ),
            (
                "Payment already sent",
                "This payment was already sent with other details. Reload the payment page before you change anything.",
            ),
        ],
        C::IdempotencyInProgress => [
            (
                "Pagamento em andamento",
                "Este pagamento ainda está sendo processado. Espere alguns segundos e veja em Meus pedidos.",
            ),
            (
                "Payment in progress",
                "This payment is still being processed. Wait a few seconds and see My orders.",
            ),
        ],
        C::PaymentDeclined => [
            (
                "Pagamento recusado",
                "O emissor do cartão recusou o pagamento. Seus lugares continuam reservados até o fim do prazo: tente outro cartão ou o Pix.",
            ),
            (
                "Payment declined",
                "The card issuer declined the payment. Your places stay held until the hold runs out: try another card or Pix.",
            ),
        ],
        C::PaymentPending => [
            (
                "Pagamento aguardando confirmação",
                "O pagamento ainda não foi confirmado. O pedido se resolve sozinho: acompanhe em Meus pedidos.",
            ),
            (
                "Payment awaiting confirmation",
                "The payment is not confirmed yet. The order settles by itself: follow it in My orders.",
            ),
        ],
        C::PixExpired => [
            (
                "Pix expirado",
                "O Pix expirou antes de ser pago e os lugares foram liberados. Escolha-os de novo.",
            ),
            (
                "Pix expired",
                "The Pix expired before it was paid, and the places were released. Pick them again.",
            ),
        ],
        C::PixNotPending => [
            (
                "Nenhum Pix a pagar",
                "Este pedido não tem Pix esperando pagamento: já foi pago, expirou ou foi pago com cartão.",
            ),
            (
                "No Pix to pay",
                "This order has no Pix waiting to be paid: it was paid, expired, or paid by card.",
            ),
        ],
        C::NotSimulated => [
            (
                "Pague pelo seu banco",
                "O Pix é pago no app do seu banco, não aqui.",
            ),
            (
                "Pay from your bank",
                "A Pix is paid in your bank's app, not here.",
            ),
        ],
        C::InvalidSignature => [
            (
                "Aviso não reconhecido",
                "Este aviso de pagamento não veio do provedor de pagamentos e foi ignorado.",
            ),
            (
                "Notice not recognised",
                "This payment notice did not come from the payment provider and was ignored.",
            ),
        ],
        C::NotSoldOut => [
            (
                "Ainda há ingressos à venda",
                "Esta sessão ainda tem lugares à venda: compre-os em vez de esperar.",
            ),
            (
                "Tickets still on sale",
                "This session still has places on sale: buy them instead of waiting.",
            ),
        ],
        C::OrderNotRefundable => [
            (
                "Pedido sem reembolso",
                "Só um pedido pago pode ser reembolsado.",
            ),
            ("Order not refundable", "Only a paid order can be refunded."),
        ],
        C::TicketAlreadyRefunded => [
            (
                "Ingresso já reembolsado",
                "Um dos ingressos escolhidos já foi reembolsado (ou o reembolso dele está em andamento).",
            ),
            (
                "Ticket already refunded",
                "One of the tickets chosen was refunded already (or its refund is under way).",
            ),
        ],
        C::OrderNotPaid => [
            (
                "Pedido não pago",
                "Só os ingressos de um pedido pago podem ser enviados de novo.",
            ),
            (
                "Order not paid",
                "Only a paid order's tickets can be mailed again.",
            ),
        ],
        C::PaymentProviderError => [
            (
                "Falha no provedor de pagamentos",
                "O provedor de pagamentos não conseguiu fazer o reembolso. Tente de novo mais tarde.",
            ),
            (
                "Payment provider failure",
                "The payment provider could not make the refund. Try again later.",
            ),
        ],
        C::EventHasSessions => [
            (
                "Evento com sessões",
                "Um evento que já tem sessões não pode mudar de local.",
            ),
            (
                "Event has sessions",
                "An event that has sessions cannot move to another venue.",
            ),
        ],
        C::VenueHasSales => [
            (
                "Local com vendas",
                "Uma sessão deste local já teve lugares reservados ou vendidos: o mapa de assentos e o fuso horário não podem mais mudar. O nome, a cidade e o palco ainda podem; para outro mapa, duplique o local.",
            ),
            (
                "Venue has sales",
                "A session of this venue has had places held or sold: its seat map and time zone can no longer change. Its name, city and stage still can; for another map, duplicate the venue.",
            ),
        ],
        C::DemoAlreadySeeded => [
            (
                "Demonstração já criada",
                "A bilheteria de demonstração já está aqui.",
            ),
            ("Demo already here", "The demo box office is already here."),
        ],
        C::InvalidTicket => [
            (
                "Ingresso não reconhecido",
                "Este código não é de um ingresso nosso. Confira o código ou mostre o ingresso de novo.",
            ),
            (
                "Ticket not recognised",
                "This code is not one of our tickets. Check the code or show the ticket again.",
            ),
        ],
        C::TicketWrongSession => [
            (
                "Ingresso de outra sessão",
                "Este ingresso é para outra sessão. Confira a data e o horário.",
            ),
            (
                "Ticket for another session",
                "This ticket is for another session. Check its date and time.",
            ),
        ],
        C::TicketUsed => [
            ("Ingresso já utilizado", "Este ingresso já entrou antes."),
            ("Ticket already used", "This ticket was let in before."),
        ],
        C::TicketRevoked => [
            (
                "Código cancelado",
                "Este código não vale mais: o ingresso foi cancelado, reembolsado ou ganhou um código novo.",
            ),
            (
                "Code no longer valid",
                "This code no longer works: the ticket was cancelled, refunded or given a new code.",
            ),
        ],
        C::TicketScreenOnly => [
            (
                "Só pela tela do celular",
                "O organizador aceita os ingressos desta sessão só na tela: abra o ingresso no celular.",
            ),
            (
                "Phone screen only",
                "The organizer takes this session's tickets on screens only: open the ticket on your phone.",
            ),
        ],
        C::ScreenCodeRequired => [
            (
                "Mostre o código da tela",
                "Esta sessão aceita só o código da tela do ingresso, que muda a cada 15 segundos.",
            ),
            (
                "Show the on-screen code",
                "This session takes only the code on the ticket's screen, which changes every 15 seconds.",
            ),
        ],
        C::ScreenCodeExpired => [
            (
                "Código da tela vencido",
                "Este código é de outro momento (uma captura de tela?): mostre o ingresso aberto no celular.",
            ),
            (
                "On-screen code out of date",
                "This code is from another moment (a screenshot?): show the live ticket on your phone.",
            ),
        ],
        C::TransferNotAllowed => [
            (
                "Transferência não permitida",
                "Este ingresso não pode ser transferido agora (o organizador não permite, o prazo passou, ou há outra transferência ou revenda em andamento).",
            ),
            (
                "Transfer not allowed",
                "This ticket cannot be transferred now (the organizer does not allow it, the cutoff passed, or another transfer or listing is open).",
            ),
        ],
        C::ResaleAboveFaceValue => [
            (
                "Preço acima do de face",
                "Um ingresso só pode ser revendido por até o preço que foi pago por ele. Baixe o preço.",
            ),
            (
                "Price above face value",
                "A ticket is resold for no more than was paid for it. Lower the price.",
            ),
        ],
        C::ListingUnavailable => [
            (
                "Ingresso indisponível",
                "Este ingresso não está mais na revenda: outra pessoa comprou, ou quem vendia desistiu.",
            ),
            (
                "Ticket unavailable",
                "This ticket is no longer on resale: someone else bought it, or the seller withdrew it.",
            ),
        ],
    }
}

/// What a buyer already has against a session's cap, and how many more they may pick.
pub fn places_taken(lang: Language, taken: i64, left: i64) -> String {
    match (lang, left) {
        (Language::PtBr, 0) => {
            format!("Você já tem {taken} lugar(es) nesta sessão: o máximo por pessoa.")
        }
        (Language::PtBr, _) => {
            format!("Você já tem {taken} lugar(es) nesta sessão: pode escolher mais {left}.")
        }
        (Language::En, 0) => {
            format!("You already have {taken} place(s) for this session: the most per person.")
        }
        (Language::En, _) => {
            format!("You already have {taken} place(s) for this session: you may pick {left} more.")
        }
    }
}

/// Said when a pick on the map would pass the cap.
pub fn cap_reached(lang: Language, cap: i64, taken: i64) -> String {
    match (lang, taken) {
        (Language::PtBr, 0) => format!("Limite atingido: até {cap} lugar(es) por pessoa."),
        (Language::PtBr, _) => format!(
            "Limite atingido: até {cap} lugar(es) por pessoa, e você já tem {taken} nesta sessão."
        ),
        (Language::En, 0) => format!("Limit reached: up to {cap} place(s) per person."),
        (Language::En, _) => format!(
            "Limit reached: up to {cap} place(s) per person, and you already have {taken} for this session."
        ),
    }
}

/// A ticket on resale as its seller sees it.
pub fn listed_for(lang: Language, price: &str, payout: &str) -> String {
    match lang {
        Language::PtBr => {
            format!("À venda na revenda por {price}. Se vender, você recebe {payout}.")
        }
        Language::En => format!("On resale for {price}. If it sells, you receive {payout}."),
    }
}

/// The transfer form of a half-price ticket.
pub fn transfer_half_warning(lang: Language, document: &str) -> String {
    match lang {
        Language::PtBr => format!(
            "Este ingresso é meia-entrada: quem o receber precisa ter direito à meia e mostrar na entrada o documento ({document})."
        ),
        Language::En => format!(
            "This is a half-price ticket: whoever receives it must be entitled to half price and show the document at the gate ({document})."
        ),
    }
}

/// A ticket's page to whoever transferred it.
pub fn transferred_to(lang: Language, to: &str, when: &str) -> String {
    match lang {
        Language::PtBr => format!(
            "Você transferiu este ingresso para {to} em {when}. O código antigo não vale mais; o ingresso agora é de quem o recebeu."
        ),
        Language::En => format!(
            "You transferred this ticket to {to} on {when}. Its old code no longer works; the ticket now belongs to its recipient."
        ),
    }
}

/// A ticket's page to whoever sold it on resale, with their payout.
pub fn resold(
    lang: Language,
    price: &str,
    when: &str,
    payout: &str,
    paid_on: Option<&str>,
) -> String {
    match (lang, paid_on) {
        (Language::PtBr, Some(on)) => format!(
            "Você vendeu este ingresso na revenda por {price} em {when}. Você recebeu {payout}, devolvidos no seu cartão em {on}."
        ),
        (Language::PtBr, None) => format!(
            "Você vendeu este ingresso na revenda por {price} em {when}. Você vai receber {payout}, devolvidos no meio de pagamento da compra."
        ),
        (Language::En, Some(on)) => format!(
            "You sold this ticket on resale for {price} on {when}. You received {payout}, paid back to your card on {on}."
        ),
        (Language::En, None) => format!(
            "You sold this ticket on resale for {price} on {when}. You will receive {payout}, paid back to how you paid."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn phrases_count_in_each_language() {
        assert_eq!(cap(Language::PtBr, 2), "Até 2 ingressos por pessoa");
        assert_eq!(cap(Language::En, 1), "Up to 1 ticket per person");
        assert_eq!(
            queue_position(Language::PtBr, 3),
            "Há 3 pessoas na sua frente."
        );
        assert_eq!(
            installment(Language::PtBr, Installments::split(3_000, 3)),
            "3x de R$ 10,00 sem juros"
        );
        assert_eq!(
            installment(Language::PtBr, Installments::split(18_000, 7)),
            "7x sem juros: 1x de R$ 25,74 + 6x de R$ 25,71"
        );
        assert_eq!(
            installment(Language::En, Installments::split(18_000, 7)),
            "7 interest-free installments: 1 of R$25.74 + 6 of R$25.71"
        );
    }

    #[test]
    fn every_problem_is_worded_for_people_in_both_languages() {
        let mut titles = [HashSet::new(), HashSet::new()];
        for &code in ProblemCode::ALL {
            let [pt, en] = problem_wording(code);
            for (title, text) in [pt, en] {
                assert!(!title.trim().is_empty(), "{code}: a title is empty");
                assert!(!text.trim().is_empty(), "{code}: a text is empty");
            }
            assert_ne!(pt.0, en.0, "{code}: the pt-BR title is the English one");
            assert_ne!(pt.1, en.1, "{code}: the pt-BR text is the English one");
            for (seen, (title, _)) in titles.iter_mut().zip([pt, en]) {
                assert!(
                    seen.insert(title),
                    "{code}: the title {title:?} is another code's too"
                );
            }
        }
    }

    #[test]
    fn field_errors_are_said_with_the_fields_label() {
        use bilheteria_domain::FieldProblem;
        let half = FieldError {
            field: "half_price_quantity".to_owned(),
            problem: FieldProblem::OutOfRange { min: 0, max: 2 },
        };
        assert_eq!(
            field_error(Language::PtBr, &half),
            "Quantos são meia-entrada: deve estar entre 0 e 2"
        );
        assert_eq!(
            field_error(Language::En, &half),
            "How many are half price: must be between 0 and 2"
        );
        let line = FieldError {
            field: "products[1].quantity".to_owned(),
            problem: FieldProblem::NotAWholeNumber,
        };
        assert_eq!(
            field_error(Language::PtBr, &line),
            "Produto: deve ser um número inteiro"
        );
        let body = FieldError {
            field: "body".to_owned(),
            problem: FieldProblem::SeatsOrStanding,
        };
        assert!(field_error(Language::PtBr, &body).starts_with("Informe `seat_ids`"));
    }

    #[test]
    fn facts_of_the_detail_reach_an_english_reader_only() {
        let detail = "this ticket was let in before, at gate B";
        let (_, en) = problem(Language::En, ProblemCode::TicketUsed, detail);
        assert_eq!(en, detail);
        let (_, pt) = problem(Language::PtBr, ProblemCode::TicketUsed, detail);
        assert_eq!(pt, "Este ingresso já entrou antes.");
        let (_, sold_out) = problem(Language::En, ProblemCode::SoldOut, "not enough places");
        assert!(sold_out.starts_with("There are not enough places left"));
    }
}
