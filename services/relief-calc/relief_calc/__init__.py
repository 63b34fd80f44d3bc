"""减免核定 Relief calculation service.

Relief policies as dated data, assessed liabilities (应缴核定), deferrals (缓缴) and late fees (滞纳金).
"""
