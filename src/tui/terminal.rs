//! The terminal guard: raw mode and the alternate screen while the console runs, restored
//! on drop, on every error path and on panic (the panic hook restores first, then reports).

use std::io::{self, Stdout, stdout};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The console's terminal; dropping it gives the terminal back as it was.
pub struct Tui {
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    mouse: bool,
}

impl Tui {
    /// Enters raw mode and the alternate screen (mouse capture only if asked for).
    pub fn enter(mouse: bool) -> io::Result<Tui> {
        enable_raw_mode()?;
        let entered = (|| {
            execute!(stdout(), EnterAlternateScreen)?;
            if mouse {
                execute!(stdout(), EnableMouseCapture)?;
            }
            let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
            terminal.hide_cursor()?;
            terminal.clear()?;
            Ok(terminal)
        })();
        match entered {
            Ok(terminal) => Ok(Tui { terminal, mouse }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.mouse {
            let _ = execute!(stdout(), DisableMouseCapture);
        }
        let _ = self.terminal.show_cursor();
        restore();
    }
}

/// Leaves the alternate screen and raw mode; safe to call more than once.
pub fn restore() {
    let _ = execute!(stdout(), LeaveAlternateScreen, DisableMouseCapture);
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), crossterm::cursor::Show);
}

/// Installs the error report hook (no backtraces: [`crate::error_report`]) and
/// color-eyre's panic hook, which restores the terminal first.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, _report_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    crate::error_report::install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!("panic: {info}");
        panic_hook(info);
    }));
    Ok(())
}
