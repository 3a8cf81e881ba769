"""RM365 Toolbox attendance plugin: clocking, corrections, hours and the kiosk."""
