"""PM2.5 forecasts for the Mae Moh stations: pure, no ckan import.

Hourly PM2.5 for 1..``Settings.horizons`` hours after the issue time and the
Bangkok daily mean (the Thai AQI basis) for D+1..D+3, with 80 % and 95 %
intervals, from LightGBM models per horizon (``engine``), scored by a
rolling-origin backtest (``backtesting``) and replaced by persistence where
they do not beat it.

    model = fit(Inputs(observations, stations, fires), until, Settings())
    forecast = model.predict(inputs, issued_at)     # .hourly, .daily, .record
"""
from .backtesting import backtest
from .inputs import Inputs
from .model import Forecast, Model, fit
from .settings import Settings

__all__ = ["Settings", "Inputs", "fit", "Model", "Forecast", "backtest"]
