"""Tools the agent may call. Adding a tool is one decorated function appended to ``TOOLS``."""

from __future__ import annotations

from strands import tool

WEATHER_BY_CITY = {"seattle": "rainy, 12 °C", "paris": "sunny, 22 °C", "new york": "cloudy, 18 °C"}


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city.

    The reference agent's demo tool: deterministic so conversations are reproducible in tests and demos.

    Args:
        city: name of the city, e.g. "Seattle".
    """
    conditions = WEATHER_BY_CITY.get(city.strip().lower(), "sunny, 20 °C")
    return f"The weather in {city.strip()} is {conditions}."


TOOLS = [get_weather]
