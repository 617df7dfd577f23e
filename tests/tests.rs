//! The one integration test binary: drives the real `allears` executable in
//! temp dirs, against real servers on loopback where a test needs them.

mod support;

mod classify;
mod conformance;
mod digest;
mod eval;
mod first_hour;
mod golden;
mod hostile;
mod imap;
mod learn;
mod oauth2;
mod offline;
mod replies;
mod shape;
mod smtp;
mod verdicts;
