/**
 * The forecast model's door for serving and the CLI: load a registered version and forecast a series with
 * the pure-TypeScript forward pass. (Training reaches for tf-model.ts directly; serving never needs TF.js.)
 */
export { dayOfWeek, epochDayOf, formatDay, parseDay, periodDays, seasonLength, type Freq } from './calendar.ts';
export { FORECAST_CARD_FILE, parseForecastCard, type ForecastModelCard } from './card.ts';
export { defaultFeatureSpec, demandValue, featureNames, type FeatureSpec } from './features.ts';
export { Forecaster } from './forecaster.ts';
export { loadForecaster, readForecastCard, type LoadedForecastModel } from './load.ts';
export { QUANTILE_LEVELS, type QuantileForecast } from './quantiles.ts';
