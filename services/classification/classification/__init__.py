"""企业划型 Classification service. Enterprise size (大中小微) per payer and period, province imports, disputes (划型异议)."""
