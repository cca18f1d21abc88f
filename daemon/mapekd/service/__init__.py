"""Running under systemd: sd_notify, the watchdog pinger, STATUS= lines, the polkit rule."""
