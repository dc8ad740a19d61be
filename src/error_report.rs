//! How user-facing errors (`eyre::Report`) are kept: their message and causes, nothing
//! else. color-eyre's own report handler captures a backtrace (and a span trace) for every
//! error when `RUST_BACKTRACE`/`RUST_LIB_BACKTRACE` is set — ~0.4 s and 155 MB to print
//! one line. Errors here are for people and are printed as one line; panics (defects) keep
//! color-eyre's panic report, backtrace included.

use std::fmt;

use color_eyre::eyre::{self, EyreHandler};

/// A report handler that records nothing beyond the error chain.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainHandler;

impl EyreHandler for PlainHandler {
    fn debug(
        &self,
        error: &(dyn std::error::Error + 'static),
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        write!(f, "{error}")?;
        let mut source = error.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// Installs [`PlainHandler`] for every `eyre::Report` made from now on.
pub fn install() -> Result<(), eyre::InstallError> {
    eyre::set_hook(Box::new(|_| Box::new(PlainHandler)))
}
