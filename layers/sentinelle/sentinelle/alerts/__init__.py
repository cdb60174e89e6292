"""Alert formats (e-mail, SMS, webhook JSON) and sinks (SNS, console, SMTP, webhook)."""
