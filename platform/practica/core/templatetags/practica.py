from django import template

register = template.Library()


@register.filter
def dollars(cents: int) -> str:
    """-8500 -> "-$85.00": the sign before the currency symbol, as statements print it."""
    return f"{'-' if cents < 0 else ''}${abs(cents) / 100:,.2f}"
