"""The reference hub: receives sealed batches from devices (`outreach-hub`)."""
