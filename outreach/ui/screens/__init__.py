"""Full-window screens shown before the workspace: first-run set-up and unlock."""
