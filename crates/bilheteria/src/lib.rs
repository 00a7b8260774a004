//! The `bilheteria` command line's building blocks: it wires the application (`bilheteria-app`)
//! to its web face (`bilheteria-web`), its storage and its payment provider, and runs the tools
//! (paysim, the rehearsal, the queue benchmark). `main.rs` only parses and dispatches.

pub mod bench;
pub mod cli;
pub mod rehearse;
