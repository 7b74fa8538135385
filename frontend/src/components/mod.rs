pub mod coming_soon;
pub mod error_box;
pub mod freeze_banner;
pub mod nav;
pub mod shell;
pub mod theme_toggle;
pub mod time;
