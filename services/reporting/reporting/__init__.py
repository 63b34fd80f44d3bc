"""报表 Reporting: read models of every topic for the monthly reports and the ops dashboard."""
